// Command celref evaluates the CEL cases in ../cel-cases.json with cel-go, set up the way KFP's driver sets up
// backend/src/v2/expression (a parseJson function; conditions over the ExecutorInput with parameter values as
// google.protobuf.Value; selectors over the fields of one google.protobuf.Value plus its text as string_value), and
// writes each outcome to src/controllers/pipelines/testdata/cel-reference.json for cel.test.ts.
//
// KFP declares the condition context from its generated ExecutorInput proto, which the module proxy does not serve;
// here ExecutorInput is declared as a descriptor built in code with the same field names, so cel-go types and
// converts the context as it does in KFP (parameter values as google.protobuf.Value, metadata as Struct).
//
// Run: cd tools/kfp-fingerprint && go run ./celref
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
	"google.golang.org/protobuf/types/known/structpb"
)

type celCase struct {
	Name  string          `json:"name"`
	Kind  string          `json:"kind"`
	Expr  string          `json:"expr"`
	Input json.RawMessage `json:"input"`
}

type outcome struct {
	celCase
	Result json.RawMessage `json:"result,omitempty"`
	Error  string          `json:"error,omitempty"`
}

func parseJSON(arg ref.Val) ref.Val {
	s, ok := arg.Value().(string)
	if !ok {
		return types.MaybeNoSuchOverloadErr(arg)
	}
	var v interface{}
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return types.NewErr("failed to unmarshal JSON: %s", err.Error())
	}
	return types.DefaultTypeAdapter.NativeToValue(v)
}

var parseJSONFunc = cel.Function("parseJson", cel.Overload("parse_json", []*cel.Type{cel.StringType}, cel.DynType, cel.UnaryBinding(parseJSON)))

// valueText is KFP's PbValueToText.
func valueText(v *structpb.Value) (string, error) {
	switch k := v.Kind.(type) {
	case *structpb.Value_NullValue:
		return "", nil
	case *structpb.Value_StringValue:
		return k.StringValue, nil
	case *structpb.Value_NumberValue:
		return strconv.FormatFloat(k.NumberValue, 'f', -1, 64), nil
	case *structpb.Value_BoolValue:
		return strconv.FormatBool(k.BoolValue), nil
	case *structpb.Value_ListValue:
		b, err := json.Marshal(k.ListValue)
		return string(b), err
	case *structpb.Value_StructValue:
		b, err := json.Marshal(k.StructValue)
		return string(b), err
	}
	return "", fmt.Errorf("unknown kind %T", v.Kind)
}

func field(name string, n int32, typeName string, label descriptorpb.FieldDescriptorProto_Label) *descriptorpb.FieldDescriptorProto {
	f := &descriptorpb.FieldDescriptorProto{Name: proto.String(name), Number: proto.Int32(n), Label: label.Enum()}
	if typeName == "" {
		f.Type = descriptorpb.FieldDescriptorProto_TYPE_STRING.Enum()
	} else {
		f.Type, f.TypeName = descriptorpb.FieldDescriptorProto_TYPE_MESSAGE.Enum(), proto.String(typeName)
	}
	return f
}

func mapOf(entry, valueType string) *descriptorpb.DescriptorProto {
	return &descriptorpb.DescriptorProto{
		Name:    proto.String(entry),
		Options: &descriptorpb.MessageOptions{MapEntry: proto.Bool(true)},
		Field:   []*descriptorpb.FieldDescriptorProto{field("key", 1, "", opt), field("value", 2, valueType, opt)},
	}
}

const (
	opt = descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL
	rep = descriptorpb.FieldDescriptorProto_LABEL_REPEATED
)

// executorInputDescriptor declares ml_pipelines.ExecutorInput with the fields of pipeline_spec.proto a condition can
// read (inputs.parameter_values, inputs.artifacts, outputs), so cel-go types the context as KFP's does.
func executorInputDescriptor() (protoreflect.MessageDescriptor, error) {
	zero := int32(0)
	oneof := func(f *descriptorpb.FieldDescriptorProto) *descriptorpb.FieldDescriptorProto {
		f.OneofIndex = &zero
		return f
	}
	file := &descriptorpb.FileDescriptorProto{
		Name: proto.String("floe_kfp_executor_input.proto"), Package: proto.String("ml_pipelines"), Syntax: proto.String("proto3"),
		Dependency: []string{"google/protobuf/struct.proto"},
		MessageType: []*descriptorpb.DescriptorProto{
			{
				Name: proto.String("ArtifactTypeSchema"),
				Field: []*descriptorpb.FieldDescriptorProto{
					oneof(field("schema_title", 1, "", opt)), oneof(field("schema_uri", 2, "", opt)),
					oneof(field("instance_schema", 3, "", opt)), field("schema_version", 4, "", opt),
				},
				OneofDecl: []*descriptorpb.OneofDescriptorProto{{Name: proto.String("kind")}},
			},
			{
				Name: proto.String("RuntimeArtifact"),
				Field: []*descriptorpb.FieldDescriptorProto{
					field("name", 1, "", opt), field("type", 2, ".ml_pipelines.ArtifactTypeSchema", opt), field("uri", 3, "", opt),
					field("metadata", 6, ".google.protobuf.Struct", opt), field("custom_path", 7, "", opt),
				},
			},
			{Name: proto.String("ArtifactList"), Field: []*descriptorpb.FieldDescriptorProto{field("artifacts", 1, ".ml_pipelines.RuntimeArtifact", rep)}},
			{
				Name: proto.String("ExecutorInput"),
				Field: []*descriptorpb.FieldDescriptorProto{
					field("inputs", 1, ".ml_pipelines.ExecutorInput.Inputs", opt), field("outputs", 2, ".ml_pipelines.ExecutorInput.Outputs", opt),
				},
				NestedType: []*descriptorpb.DescriptorProto{
					{
						Name: proto.String("Inputs"),
						Field: []*descriptorpb.FieldDescriptorProto{
							field("artifacts", 2, ".ml_pipelines.ExecutorInput.Inputs.ArtifactsEntry", rep),
							field("parameter_values", 3, ".ml_pipelines.ExecutorInput.Inputs.ParameterValuesEntry", rep),
						},
						NestedType: []*descriptorpb.DescriptorProto{
							mapOf("ArtifactsEntry", ".ml_pipelines.ArtifactList"),
							mapOf("ParameterValuesEntry", ".google.protobuf.Value"),
						},
					},
					{Name: proto.String("OutputParameter"), Field: []*descriptorpb.FieldDescriptorProto{field("output_file", 1, "", opt)}},
					{
						Name: proto.String("Outputs"),
						Field: []*descriptorpb.FieldDescriptorProto{
							field("parameters", 1, ".ml_pipelines.ExecutorInput.Outputs.ParametersEntry", rep),
							field("artifacts", 2, ".ml_pipelines.ExecutorInput.Outputs.ArtifactsEntry", rep),
							field("output_file", 3, "", opt),
						},
						NestedType: []*descriptorpb.DescriptorProto{
							mapOf("ParametersEntry", ".ml_pipelines.ExecutorInput.OutputParameter"),
							mapOf("ArtifactsEntry", ".ml_pipelines.ArtifactList"),
						},
					},
				},
			},
		},
	}
	fd, err := protodesc.NewFile(file, protoregistry.GlobalFiles)
	if err != nil {
		return nil, err
	}
	return fd.Messages().ByName("ExecutorInput"), nil
}

// condition is KFP's Expr.Condition: every ExecutorInput field (set or not) is a variable; the result must be a bool.
func condition(env *cel.Env, md protoreflect.MessageDescriptor, expr string, raw json.RawMessage) (interface{}, error) {
	ei := dynamicpb.NewMessage(md)
	if err := protojson.Unmarshal(raw, ei); err != nil {
		return nil, err
	}
	vars := map[string]interface{}{}
	for i := 0; i < md.Fields().Len(); i++ {
		f := md.Fields().Get(i)
		vars[f.TextName()] = ei.Get(f).Message().Interface()
	}
	ast, iss := env.Compile(expr)
	if iss != nil && iss.Err() != nil {
		return nil, iss.Err()
	}
	prg, err := env.Program(ast)
	if err != nil {
		return nil, err
	}
	res, _, err := prg.Eval(vars)
	if err != nil {
		return nil, fmt.Errorf("evaluation error: %w", err)
	}
	b, ok := res.Value().(bool)
	if !ok {
		return nil, fmt.Errorf("evaluation error: return type is not bool, got %+v", res.Value())
	}
	return b, nil
}

func selector(env *cel.Env, expr string, raw json.RawMessage) (interface{}, error) {
	var in struct {
		Value interface{} `json:"value"`
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, err
	}
	v, err := structpb.NewValue(in.Value)
	if err != nil {
		return nil, err
	}
	fields := map[string]interface{}{}
	switch k := v.Kind.(type) {
	case *structpb.Value_NullValue:
		fields["null_value"] = k.NullValue
	case *structpb.Value_NumberValue:
		fields["number_value"] = k.NumberValue
	case *structpb.Value_BoolValue:
		fields["bool_value"] = k.BoolValue
	case *structpb.Value_StructValue:
		fields["struct_value"] = k.StructValue
	case *structpb.Value_ListValue:
		fields["list_value"] = k.ListValue
	}
	if fields["string_value"], err = valueText(v); err != nil {
		return nil, err
	}
	ast, iss := env.Compile(expr)
	if iss != nil && iss.Err() != nil {
		return nil, iss.Err()
	}
	prg, err := env.Program(ast)
	if err != nil {
		return nil, err
	}
	res, _, err := prg.Eval(fields)
	if err != nil {
		return nil, fmt.Errorf("evaluation error: %w", err)
	}
	rawRes := res.Value()
	var out *structpb.Value
	if m, isMsg := rawRes.(proto.Message); isMsg {
		switch m := m.(type) {
		case *structpb.ListValue:
			out = structpb.NewListValue(m)
		case *structpb.Struct:
			out = structpb.NewStructValue(m)
		case *structpb.Value:
			out = m
		default:
			return nil, fmt.Errorf("unsupported result type %T", m)
		}
	} else if out, err = structpb.NewValue(rawRes); err != nil {
		return nil, err
	}
	b, err := protojson.Marshal(out)
	if err != nil {
		return nil, err
	}
	var j interface{}
	return j, json.Unmarshal(b, &j)
}

func run() error {
	md, err := executorInputDescriptor()
	if err != nil {
		return err
	}
	condEnv, err := cel.NewEnv(cel.DeclareContextProto(md), parseJSONFunc)
	if err != nil {
		return err
	}
	selEnv, err := cel.NewEnv(cel.DeclareContextProto(new(structpb.Value).ProtoReflect().Descriptor()), parseJSONFunc)
	if err != nil {
		return err
	}
	data, err := os.ReadFile("cel-cases.json")
	if err != nil {
		return err
	}
	var cases []celCase
	if err := json.Unmarshal(data, &cases); err != nil {
		return err
	}
	out := make([]outcome, 0, len(cases))
	for _, c := range cases {
		var res interface{}
		var err error
		if c.Kind == "condition" {
			res, err = condition(condEnv, md, c.Expr, c.Input)
		} else {
			res, err = selector(selEnv, c.Expr, c.Input)
		}
		o := outcome{celCase: c}
		if err != nil {
			o.Error = err.Error()
		} else if o.Result, err = json.Marshal(res); err != nil {
			return err
		}
		out = append(out, o)
	}
	b, err := json.MarshalIndent(out, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile("../../src/controllers/pipelines/testdata/cel-reference.json", append(b, '\n'), 0o644)
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "celref:", err)
		os.Exit(1)
	}
}
