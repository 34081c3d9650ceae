// The OIP gRPC messages to and from Floe's V2 tensors: typed contents, the raw contents extension, error codes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { decodeGrpcInferRequest, encodeGrpcInferResponse, grpcError, rawOf, tensorFromRaw } from './grpc-inference.js';
import { ProtocolError, type Tensor } from './v2.js';

describe('OIP gRPC codec', () => {
  test('typed contents decode into typed arrays, INT64 exactly (strings past 2^53)', () => {
    const { request, raw } = decodeGrpcInferRequest({
      id: 'r1',
      parameters: { flag: { bool_param: true }, n: { int64_param: '3' }, s: { string_param: 'x' } },
      inputs: [
        { name: 'a', datatype: 'FP32', shape: ['2'], contents: { fp32_contents: [1.5, 2.5] } },
        { name: 'b', datatype: 'INT64', shape: ['1'], contents: { int64_contents: ['9007199254740993'] } },
        { name: 'c', datatype: 'BYTES', shape: ['1'], contents: { bytes_contents: [Buffer.from('héllo')] } },
        { name: 'd', datatype: 'BOOL', shape: ['2'], contents: { bool_contents: [true, false] } },
      ],
    });
    assert.equal(raw, false);
    assert.equal(request.id, 'r1');
    assert.deepEqual(request.parameters, { flag: true, n: 3, s: 'x' });
    assert.deepEqual(Array.from(request.inputs[0]!.data as Float32Array), [1.5, 2.5]);
    assert.equal((request.inputs[1]!.data as BigInt64Array)[0], 9007199254740993n);
    assert.deepEqual(request.inputs[2]!.data, ['héllo']);
    assert.deepEqual(Array.from(request.inputs[3]!.data as Uint8Array), [1, 0]);
  });

  test('raw_input_contents: little-endian elements, BYTES with 4-byte lengths; the sizes are checked', () => {
    const floats = Buffer.from(new Float32Array([1, 2, 3, 4]).buffer);
    const t = tensorFromRaw('x', 'FP32', [2, 2], floats, 'inputs[0]');
    assert.deepEqual(Array.from(t.data as Float32Array), [1, 2, 3, 4]);
    const bytes: Tensor = { name: 's', datatype: 'BYTES', shape: [2], data: ['ab', ''] };
    assert.deepEqual(tensorFromRaw('s', 'BYTES', [2], rawOf(bytes), 'inputs[0]').data, ['ab', '']);
    assert.throws(() => tensorFromRaw('x', 'FP32', [2, 2], floats.subarray(1), 'inputs[0]'), /needs 16 bytes, raw contents have 15/);
    assert.throws(() => decodeGrpcInferRequest({ inputs: [{ name: 'a', datatype: 'FP32', shape: ['1'] }, { name: 'b', datatype: 'FP32', shape: ['1'] }], raw_input_contents: [Buffer.alloc(4)] }), /2 inputs/);
    assert.throws(() => decodeGrpcInferRequest({ inputs: [{ name: 'a', datatype: 'FP16', shape: ['1'], contents: {} }] }), /raw_input_contents/);
    assert.throws(() => decodeGrpcInferRequest({ inputs: [] }), ProtocolError);
  });

  test('a response is raw when the request was raw or an output is FP16, typed contents otherwise', () => {
    const out: Tensor = { name: 'y', datatype: 'FP32', shape: [1, 2], data: new Float32Array([0.25, 0.75]) };
    const typed = encodeGrpcInferResponse({ model_name: 'm', id: 'r1', outputs: [out] }, false);
    assert.deepEqual(typed.outputs[0], { name: 'y', datatype: 'FP32', shape: ['1', '2'], contents: { fp32_contents: [0.25, 0.75] } });
    assert.equal(typed.raw_output_contents, undefined);
    const raw = encodeGrpcInferResponse({ model_name: 'm', outputs: [out] }, true);
    assert.equal(raw.outputs[0]!.contents, undefined);
    assert.deepEqual(Array.from(new Float32Array(new Uint8Array(raw.raw_output_contents![0]!).buffer)), [0.25, 0.75]);
    const half = encodeGrpcInferResponse({ model_name: 'm', outputs: [{ name: 'h', datatype: 'FP16', shape: [1], data: new Uint16Array([0x3c00]) }] }, false);
    assert.deepEqual([...half.raw_output_contents![0]!], [0x00, 0x3c]);
  });

  test('KServe\'s error classes become gRPC status codes', () => {
    assert.equal(grpcError(ProtocolError.invalidInput('bad')).code, status.INVALID_ARGUMENT);
    assert.equal(grpcError(ProtocolError.modelNotFound('m')).code, status.NOT_FOUND);
    assert.equal(grpcError(ProtocolError.modelNotReady('m')).code, status.UNAVAILABLE);
    assert.equal(grpcError(ProtocolError.inference('boom')).code, status.INTERNAL);
    assert.equal(grpcError(new Error('x')).code, status.INTERNAL);
  });
});
