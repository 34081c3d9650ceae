// Command kfp-fingerprint computes KFP v2 cache fingerprints for the cases in cases.json with the real Go
// protobuf runtime (protojson) and encoding/json, and writes them, with the canonical JSON that was hashed, to
// src/controllers/pipelines/testdata/fingerprints.json. Floe's fingerprint.test.ts checks its TypeScript
// implementation against that file.
//
// The KFP Go modules (github.com/kubeflow/pipelines/api, .../backend) are not served by the module proxy this
// project can reach, so the ml_pipelines.CacheKey message and the messages it uses are declared here as a
// descriptor built in code, with the field names of api/v2alpha1/cache_key.proto and pipeline_spec.proto.
// protojson derives JSON names from field names exactly as it does for generated code, so what is hashed is
// what the KFP driver hashes: protojson.Marshal(cacheKey), decoded with encoding/json and marshalled again
// (sorted keys, compact, HTML-safe escaping), then SHA-256, hex.
//
// Run: cd tools/kfp-fingerprint && go run . (writes the testdata file).
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
	"google.golang.org/protobuf/types/known/structpb"
)

type envVar struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type outputArtifact struct {
	Name     string                 `json:"name,omitempty"`
	Type     map[string]string      `json:"type,omitempty"`
	Metadata map[string]interface{} `json:"metadata,omitempty"`
}

// input mirrors the argument of cacheKeyFingerprint in src/controllers/pipelines/fingerprint.ts.
type input struct {
	ComponentName        string                    `json:"componentName"`
	CacheKey             string                    `json:"cacheKey,omitempty"`
	InputArtifactNames   map[string][]string       `json:"inputArtifactNames"`
	InputParameterValues map[string]interface{}    `json:"inputParameterValues"`
	OutputArtifactsSpec  map[string]outputArtifact `json:"outputArtifactsSpec"`
	OutputParametersSpec map[string]string         `json:"outputParametersSpec"`
	ContainerSpec        struct {
		Image    string   `json:"image"`
		CmdArgs  []string `json:"cmdArgs"`
		PvcNames []string `json:"pvcNames,omitempty"`
		Env      []envVar `json:"env,omitempty"`
	} `json:"containerSpec"`
}

// rawCase keeps the input as written, so the output echoes it unchanged and metadata {} stays apart from absent.
type rawCase struct {
	Name  string          `json:"name"`
	Input json.RawMessage `json:"input"`
}

type result struct {
	Name        string          `json:"name"`
	Input       json.RawMessage `json:"input"`
	Canonical   string          `json:"canonical"`
	Fingerprint string          `json:"fingerprint"`
}

func str(name string, n int32, label descriptorpb.FieldDescriptorProto_Label) *descriptorpb.FieldDescriptorProto {
	return &descriptorpb.FieldDescriptorProto{
		Name: proto.String(name), Number: proto.Int32(n), Label: label.Enum(),
		Type: descriptorpb.FieldDescriptorProto_TYPE_STRING.Enum(),
	}
}

func msg(name string, n int32, typeName string, label descriptorpb.FieldDescriptorProto_Label) *descriptorpb.FieldDescriptorProto {
	return &descriptorpb.FieldDescriptorProto{
		Name: proto.String(name), Number: proto.Int32(n), Label: label.Enum(),
		Type: descriptorpb.FieldDescriptorProto_TYPE_MESSAGE.Enum(), TypeName: proto.String(typeName),
	}
}

func mapEntry(name string, value *descriptorpb.FieldDescriptorProto) *descriptorpb.DescriptorProto {
	value.Name, value.Number = proto.String("value"), proto.Int32(2)
	value.Label = descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum()
	return &descriptorpb.DescriptorProto{
		Name:    proto.String(name),
		Field:   []*descriptorpb.FieldDescriptorProto{str("key", 1, descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL), value},
		Options: &descriptorpb.MessageOptions{MapEntry: proto.Bool(true)},
	}
}

const (
	opt = descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL
	rep = descriptorpb.FieldDescriptorProto_LABEL_REPEATED
)

// cacheKeyDescriptor declares ml_pipelines.CacheKey (cache_key.proto, with containerSpec.pvcNames and env as in
// current KFP) and the parts of pipeline_spec.proto it uses.
func cacheKeyDescriptor() (protoreflect.MessageDescriptor, error) {
	zero := int32(0)
	file := &descriptorpb.FileDescriptorProto{
		Name:       proto.String("floe_kfp_cache_key.proto"),
		Package:    proto.String("ml_pipelines"),
		Syntax:     proto.String("proto3"),
		Dependency: []string{"google/protobuf/struct.proto"},
		MessageType: []*descriptorpb.DescriptorProto{
			{
				Name: proto.String("ArtifactTypeSchema"),
				Field: []*descriptorpb.FieldDescriptorProto{
					func() *descriptorpb.FieldDescriptorProto {
						f := str("schema_title", 1, opt)
						f.OneofIndex = &zero
						return f
					}(),
					func() *descriptorpb.FieldDescriptorProto {
						f := str("schema_uri", 2, opt)
						f.OneofIndex = &zero
						return f
					}(),
					func() *descriptorpb.FieldDescriptorProto {
						f := str("instance_schema", 3, opt)
						f.OneofIndex = &zero
						return f
					}(),
					str("schema_version", 4, opt),
				},
				OneofDecl: []*descriptorpb.OneofDescriptorProto{{Name: proto.String("kind")}},
			},
			{
				Name: proto.String("RuntimeArtifact"),
				Field: []*descriptorpb.FieldDescriptorProto{
					str("name", 1, opt),
					msg("type", 2, ".ml_pipelines.ArtifactTypeSchema", opt),
					str("uri", 3, opt),
					msg("metadata", 6, ".google.protobuf.Struct", opt),
					str("custom_path", 7, opt),
				},
			},
			{Name: proto.String("ArtifactNameList"), Field: []*descriptorpb.FieldDescriptorProto{str("artifactNames", 1, rep)}},
			{Name: proto.String("EnvVar"), Field: []*descriptorpb.FieldDescriptorProto{str("name", 1, opt), str("value", 2, opt)}},
			{
				Name: proto.String("ContainerSpec"),
				Field: []*descriptorpb.FieldDescriptorProto{
					str("image", 1, opt), str("cmdArgs", 2, rep), str("pvcNames", 3, rep),
					msg("env", 4, ".ml_pipelines.EnvVar", rep),
				},
			},
			{
				Name: proto.String("CacheKey"),
				Field: []*descriptorpb.FieldDescriptorProto{
					msg("inputArtifactNames", 1, ".ml_pipelines.CacheKey.InputArtifactNamesEntry", rep),
					msg("outputArtifactsSpec", 3, ".ml_pipelines.CacheKey.OutputArtifactsSpecEntry", rep),
					msg("outputParametersSpec", 4, ".ml_pipelines.CacheKey.OutputParametersSpecEntry", rep),
					msg("containerSpec", 5, ".ml_pipelines.ContainerSpec", opt),
					msg("input_parameter_values", 6, ".ml_pipelines.CacheKey.InputParameterValuesEntry", rep),
				},
				NestedType: []*descriptorpb.DescriptorProto{
					mapEntry("InputArtifactNamesEntry", msg("", 0, ".ml_pipelines.ArtifactNameList", opt)),
					mapEntry("OutputArtifactsSpecEntry", msg("", 0, ".ml_pipelines.RuntimeArtifact", opt)),
					mapEntry("OutputParametersSpecEntry", str("", 0, opt)),
					mapEntry("InputParameterValuesEntry", msg("", 0, ".google.protobuf.Value", opt)),
				},
			},
		},
	}
	fd, err := protodesc.NewFile(file, protoregistry.GlobalFiles)
	if err != nil {
		return nil, err
	}
	return fd.Messages().ByName("CacheKey"), nil
}

// buildCacheKey fills a CacheKey the way the KFP driver does (driver/cache.go getFingerPrint and
// cacheutils.GenerateCacheKey): maps always made, PVC names de-duplicated and sorted, output artifacts without URI.
func buildCacheKey(md protoreflect.MessageDescriptor, in input, raw json.RawMessage) (proto.Message, error) {
	m := dynamicpb.NewMessage(md)
	fields := md.Fields()

	ian := m.Mutable(fields.ByName("inputArtifactNames")).Map()
	for name, ids := range in.InputArtifactNames {
		list := dynamicpb.NewMessage(fields.ByName("inputArtifactNames").MapValue().Message())
		l := list.Mutable(list.Descriptor().Fields().ByName("artifactNames")).List()
		for _, id := range ids {
			l.Append(protoreflect.ValueOfString(id))
		}
		ian.Set(protoreflect.ValueOfString(name).MapKey(), protoreflect.ValueOfMessage(list))
	}

	ipv := m.Mutable(fields.ByName("input_parameter_values")).Map()
	for name, v := range in.InputParameterValues {
		pv, err := structpb.NewValue(v)
		if err != nil {
			return nil, fmt.Errorf("parameter %q: %w", name, err)
		}
		ipv.Set(protoreflect.ValueOfString(name).MapKey(), protoreflect.ValueOfMessage(pv.ProtoReflect()))
	}

	// Whether an output artifact's metadata was given as {} (a non-nil empty Struct) or left out.
	var rawIn struct {
		OutputArtifactsSpec map[string]map[string]json.RawMessage `json:"outputArtifactsSpec"`
	}
	if err := json.Unmarshal(raw, &rawIn); err != nil {
		return nil, err
	}
	oas := m.Mutable(fields.ByName("outputArtifactsSpec")).Map()
	for name, a := range in.OutputArtifactsSpec {
		art := dynamicpb.NewMessage(fields.ByName("outputArtifactsSpec").MapValue().Message())
		af := art.Descriptor().Fields()
		if a.Name != "" {
			art.Set(af.ByName("name"), protoreflect.ValueOfString(a.Name))
		}
		if a.Type != nil {
			t := dynamicpb.NewMessage(af.ByName("type").Message())
			tf := t.Descriptor().Fields()
			for jsonName, v := range a.Type {
				f := tf.ByJSONName(jsonName)
				if f == nil {
					return nil, fmt.Errorf("artifact %q: unknown type field %q", name, jsonName)
				}
				t.Set(f, protoreflect.ValueOfString(v))
			}
			art.Set(af.ByName("type"), protoreflect.ValueOfMessage(t))
		}
		if _, given := rawIn.OutputArtifactsSpec[name]["metadata"]; given {
			s, err := structpb.NewStruct(a.Metadata)
			if err != nil {
				return nil, fmt.Errorf("artifact %q metadata: %w", name, err)
			}
			art.Set(af.ByName("metadata"), protoreflect.ValueOfMessage(s.ProtoReflect()))
		}
		oas.Set(protoreflect.ValueOfString(name).MapKey(), protoreflect.ValueOfMessage(art))
	}

	ops := m.Mutable(fields.ByName("outputParametersSpec")).Map()
	for name, t := range in.OutputParametersSpec {
		ops.Set(protoreflect.ValueOfString(name).MapKey(), protoreflect.ValueOfString(t))
	}

	cs := dynamicpb.NewMessage(fields.ByName("containerSpec").Message())
	cf := cs.Descriptor().Fields()
	cs.Set(cf.ByName("image"), protoreflect.ValueOfString(in.ContainerSpec.Image))
	args := cs.Mutable(cf.ByName("cmdArgs")).List()
	for _, a := range in.ContainerSpec.CmdArgs {
		args.Append(protoreflect.ValueOfString(a))
	}
	seen := map[string]struct{}{}
	for _, p := range in.ContainerSpec.PvcNames {
		seen[p] = struct{}{}
	}
	pvcs := make([]string, 0, len(seen))
	for p := range seen {
		pvcs = append(pvcs, p)
	}
	sort.Strings(pvcs)
	pl := cs.Mutable(cf.ByName("pvcNames")).List()
	for _, p := range pvcs {
		pl.Append(protoreflect.ValueOfString(p))
	}
	envs := cs.Mutable(cf.ByName("env")).List()
	for _, e := range in.ContainerSpec.Env {
		ev := dynamicpb.NewMessage(cf.ByName("env").Message())
		ev.Set(ev.Descriptor().Fields().ByName("name"), protoreflect.ValueOfString(e.Name))
		ev.Set(ev.Descriptor().Fields().ByName("value"), protoreflect.ValueOfString(e.Value))
		envs.Append(protoreflect.ValueOfMessage(ev))
	}
	m.Set(fields.ByName("containerSpec"), protoreflect.ValueOfMessage(cs))
	return m, nil
}

// fingerprint is GenerateFingerPrint: protojson, then encoding/json decode and encode, then SHA-256.
func fingerprint(cacheKey proto.Message) (string, string, error) {
	b, err := protojson.Marshal(cacheKey)
	if err != nil {
		return "", "", err
	}
	var v interface{}
	if err := json.Unmarshal(b, &v); err != nil {
		return "", "", err
	}
	formatted, err := json.Marshal(v)
	if err != nil {
		return "", "", err
	}
	sum := sha256.Sum256(formatted)
	return string(formatted), hex.EncodeToString(sum[:]), nil
}

// customKeyFingerprint: with cachingOptions.cacheKey set, the fingerprint hashes the component name and the key
// only (contracts §1.3; the driver code for this path was not available to check).
func customKeyFingerprint(componentName, key string) (string, string) {
	canonical := key
	if componentName != "" {
		canonical = componentName + "\x00" + key
	}
	sum := sha256.Sum256([]byte(canonical))
	return canonical, hex.EncodeToString(sum[:])
}

func run() error {
	md, err := cacheKeyDescriptor()
	if err != nil {
		return err
	}
	data, err := os.ReadFile("cases.json")
	if err != nil {
		return err
	}
	var cases []rawCase
	if err := json.Unmarshal(data, &cases); err != nil {
		return err
	}
	out := make([]result, 0, len(cases))
	for _, c := range cases {
		var in input
		if err := json.Unmarshal(c.Input, &in); err != nil {
			return fmt.Errorf("case %s: %w", c.Name, err)
		}
		var canonical, fp string
		if in.CacheKey != "" {
			canonical, fp = customKeyFingerprint(in.ComponentName, in.CacheKey)
		} else {
			ck, err := buildCacheKey(md, in, c.Input)
			if err != nil {
				return fmt.Errorf("case %s: %w", c.Name, err)
			}
			if canonical, fp, err = fingerprint(ck); err != nil {
				return fmt.Errorf("case %s: %w", c.Name, err)
			}
		}
		out = append(out, result{Name: c.Name, Input: c.Input, Canonical: canonical, Fingerprint: fp})
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile("../../src/controllers/pipelines/testdata/fingerprints.json", append(b, '\n'), 0o644)
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "kfp-fingerprint:", err)
		os.Exit(1)
	}
}
