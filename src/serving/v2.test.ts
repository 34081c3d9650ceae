// The V2 decoder and encoder: every datatype, flat and nested data, and each kind of malformed request.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ProtocolError, bfloat16, datatypes, decodeInferRequest, encodeInferResponse, encodeTensor, errorResponse, float16, nest,
  stringifyJson, type Datatype, type InferRequest, type Tensor,
} from './v2.js';

const one = (datatype: string, shape: unknown, data: unknown, extra: Record<string, unknown> = {}): unknown =>
  ({ inputs: [{ name: 'x', datatype, shape, data, ...extra }] });
const decodeOne = (datatype: Datatype, shape: number[], data: unknown): Tensor => {
  const t = decodeInferRequest(one(datatype, shape, data)).inputs[0];
  assert.ok(t);
  return t;
};

/** Asserts `body` is refused with `status` and a message matching `message`. */
function refuses(body: unknown, message: RegExp, status = 400): void {
  assert.throws(() => decodeInferRequest(body), (err: unknown) => {
    assert.ok(err instanceof ProtocolError, `expected ProtocolError, got ${String(err)}`);
    assert.equal(err.status, status);
    assert.match(err.message, message);
    return true;
  });
}

describe('every datatype decodes into its typed array and encodes back', () => {
  const cases: { dt: Datatype; data: unknown[]; ctor: unknown; held: unknown[]; back?: unknown[] }[] = [
    { dt: 'BOOL', data: [true, false, true], ctor: Uint8Array, held: [1, 0, 1] },
    { dt: 'UINT8', data: [0, 7, 255], ctor: Uint8Array, held: [0, 7, 255] },
    { dt: 'UINT16', data: [0, 7, 65535], ctor: Uint16Array, held: [0, 7, 65535] },
    { dt: 'UINT32', data: [0, 7, 4294967295], ctor: Uint32Array, held: [0, 7, 4294967295] },
    { dt: 'UINT64', data: [0, 7, Number.MAX_SAFE_INTEGER], ctor: BigUint64Array, held: [0n, 7n, 9007199254740991n] },
    { dt: 'INT8', data: [-128, 0, 127], ctor: Int8Array, held: [-128, 0, 127] },
    { dt: 'INT16', data: [-32768, 0, 32767], ctor: Int16Array, held: [-32768, 0, 32767] },
    { dt: 'INT32', data: [-2147483648, 0, 2147483647], ctor: Int32Array, held: [-2147483648, 0, 2147483647] },
    { dt: 'INT64', data: [-Number.MAX_SAFE_INTEGER, 0, 5], ctor: BigInt64Array, held: [-9007199254740991n, 0n, 5n] },
    // Bit patterns from numpy's float16 and torch's bfloat16 for the same values.
    { dt: 'FP16', data: [1, -2.5, 0.1], ctor: Uint16Array, held: [15360, 49408, 11878], back: [1, -2.5, 0.0999755859375] },
    { dt: 'BF16', data: [1, -2.5, 0.1], ctor: Uint16Array, held: [16256, 49184, 15821], back: [1, -2.5, 0.10009765625] },
    { dt: 'FP32', data: [0.5, -3, 0.1], ctor: Float32Array, held: [0.5, -3, Math.fround(0.1)], back: [0.5, -3, Math.fround(0.1)] },
    { dt: 'FP64', data: [0.5, -3, 0.1], ctor: Float64Array, held: [0.5, -3, 0.1] },
    { dt: 'BYTES', data: ['a', '', 'héllo'], ctor: Array, held: ['a', '', 'héllo'] },
  ];
  test('the cases cover all fourteen datatypes', () => {
    assert.deepEqual(cases.map((c) => c.dt).sort(), [...datatypes].sort());
  });
  for (const c of cases) {
    test(c.dt, () => {
      const t = decodeOne(c.dt, [3], c.data);
      assert.equal(t.datatype, c.dt);
      assert.ok(t.data instanceof (c.ctor as new () => object), `${c.dt} held in ${t.data.constructor.name}`);
      assert.deepEqual(Array.from(t.data as ArrayLike<unknown>), c.held);
      assert.deepEqual(encodeTensor(t), { name: 'x', datatype: c.dt, shape: [3], data: c.back ?? c.data });
    });
  }
});

test('64-bit integers beyond 2^53 travel as bigints and are written exactly', () => {
  const t = decodeInferRequest({ inputs: [{ name: 'x', datatype: 'UINT64', shape: [2], data: [2n ** 64n - 1n, 1n] }] }).inputs[0];
  assert.ok(t);
  const wire = encodeTensor(t);
  assert.deepEqual(wire.data, [2n ** 64n - 1n, 1]);
  assert.equal(stringifyJson(wire), '{"name":"x","datatype":"UINT64","shape":[2],"data":[18446744073709551615,1]}');
});

test('FP16 and BF16 round to nearest even, as numpy and torch do', () => {
  const values = [1, -2.5, 65504, 0.1, 1 / 3, 2 ** -24, 2 ** -25, 3 * 2 ** -26, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 65519, 1e-8, 5.96e-8, 6.1e-5, 3.14159];
  assert.deepEqual(values.map(float16.fromNumber), [15360, 49408, 31743, 11878, 13653, 1, 0, 1, 15360, 15362, 31743, 0, 1, 1023, 16968]);
  assert.deepEqual(values.map(bfloat16.fromNumber), [16256, 49184, 18304, 15821, 16043, 13184, 13056, 13120, 16256, 16256, 18304, 12844, 13184, 14464, 16457]);
  for (const h of [0, 1, 1023, 1024, 15360, 31743, 32769, 49408]) assert.equal(float16.fromNumber(float16.toNumber(h)), h);
});

describe('data may be flat or nested, row-major', () => {
  test('nested matching the shape equals flat', () => {
    const flat = decodeOne('INT32', [2, 3], [1, 2, 3, 4, 5, 6]);
    const nested = decodeOne('INT32', [2, 3], [[1, 2, 3], [4, 5, 6]]);
    assert.deepEqual(nested, flat);
    assert.deepEqual(Array.from(nested.data as Int32Array), [1, 2, 3, 4, 5, 6]);
  });
  test('three levels deep', () => {
    const t = decodeOne('FP64', [2, 2, 2], [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]);
    assert.deepEqual(Array.from(t.data as Float64Array), [1, 2, 3, 4, 5, 6, 7, 8]);
  });
  test('nesting need only be rectangular: the element count decides', () => {
    const t = decodeOne('UINT8', [4], [[1, 2], [3, 4]]);
    assert.deepEqual(Array.from(t.data as Uint8Array), [1, 2, 3, 4]);
  });
  test('a scalar (shape []) holds one element; a zero dimension holds none', () => {
    assert.deepEqual(Array.from(decodeOne('FP32', [], [7]).data as Float32Array), [7]);
    assert.equal(decodeOne('BOOL', [2, 0], [[], []]).data.length, 0);
  });
  test('nested BOOL and BYTES', () => {
    assert.deepEqual(Array.from(decodeOne('BOOL', [2, 1], [[true], [false]]).data as Uint8Array), [1, 0]);
    assert.deepEqual(decodeOne('BYTES', [1, 2], [['a', 'b']]).data, ['a', 'b']);
  });
});

test('id, parameters and outputs are read when present', () => {
  const req = decodeInferRequest({
    id: '42',
    parameters: { a: 'b', n: 1, f: false },
    inputs: [{ name: 'x', datatype: 'FP32', shape: [1], data: [1], parameters: { content_type: 'np' } }],
    outputs: [{ name: 'y' }, { name: 'z', parameters: { binary_data: false } }],
    ignored: 'unknown fields are ignored',
  });
  const want: InferRequest = {
    id: '42',
    parameters: { a: 'b', n: 1, f: false },
    inputs: [{ name: 'x', datatype: 'FP32', shape: [1], data: Float32Array.from([1]), parameters: { content_type: 'np' } }],
    outputs: [{ name: 'y' }, { name: 'z', parameters: { binary_data: false } }],
  };
  assert.deepEqual(req, want);
  assert.deepEqual(Object.keys(decodeInferRequest(one('FP32', [1], [1]))), ['inputs']);
});

describe('malformed requests are refused with 400 naming what is wrong', () => {
  test('the body and the inputs list', () => {
    refuses(null, /must be a JSON object/);
    refuses([1], /must be a JSON object/);
    refuses({}, /inputs must be a non-empty array/);
    refuses({ inputs: [] }, /inputs must be a non-empty array/);
    refuses({ inputs: [5] }, /inputs\[0\] must be an object/);
  });
  test('name, datatype and shape', () => {
    refuses({ inputs: [{ datatype: 'FP32', shape: [1], data: [1] }] }, /inputs\[0\]\.name must be a non-empty string/);
    refuses(one('FLOAT32', [1], [1]), /inputs\[0\] \("x"\)\.datatype "FLOAT32" is not one of BOOL, UINT8/);
    refuses(one('fp32', [1], [1]), /datatype "fp32"/);
    refuses(one('FP32', 3, [1, 2, 3]), /inputs\[0\] \("x"\)\.shape must be an array of integers/);
    refuses(one('FP32', [-1, 3], [1, 2, 3]), /shape\[0\] must be a non-negative integer, got -1/);
    refuses(one('FP32', [1.5], [1]), /shape\[0\] must be a non-negative integer, got 1.5/);
    refuses(one('FP32', ['2'], [1, 2]), /shape\[0\] must be a non-negative integer, got "2"/);
  });
  test('data missing, not a list, the wrong size, or ragged', () => {
    refuses(one('FP32', [1], undefined), /inputs\[0\] \("x"\)\.data is required/);
    refuses(one('FP32', [1], 1), /\.data must be an array/);
    refuses(one('FP32', [2, 3], [1, 2, 3, 4, 5]), /shape \[2,3\] needs 6 elements, data has 5/);
    refuses(one('FP32', [2, 3], [[1, 2, 3], [4, 5, 6], [7, 8, 9]]), /needs 6 elements, data has 9/);
    refuses(one('FP32', [4], [[1, 2, 3], [4]]), /data is ragged: arrays at depth 1 have lengths 3 and 1/);
    refuses(one('FP32', [3], [[1, 2], 3]), /data is ragged: depth 1 mixes arrays and scalars/);
  });
  test('values outside their datatype', () => {
    refuses(one('UINT8', [3], [0, 256, 1]), /inputs\[0\] \("x"\): data\[1\] is 256, out of range for UINT8 \(0\.\.255\)/);
    refuses(one('UINT8', [1], [-1]), /data\[0\] is -1, out of range for UINT8/);
    refuses(one('UINT8', [1], [1.5]), /data\[0\] is 1\.5, expected an integer for UINT8/);
    refuses(one('UINT16', [1], [65536]), /out of range for UINT16 \(0\.\.65535\)/);
    refuses(one('UINT32', [1], [2 ** 32]), /out of range for UINT32/);
    refuses(one('UINT64', [1], [-1]), /out of range for UINT64/);
    refuses(one('UINT64', [1], [2 ** 60]), /beyond ±2\^53/);
    refuses(one('INT8', [2], [[-129, 0]]), /data\[0\] is -129, out of range for INT8 \(-128\.\.127\)/);
    refuses(one('INT16', [1], [32768]), /out of range for INT16/);
    refuses(one('INT32', [1], [2 ** 31]), /out of range for INT32/);
    refuses(one('INT64', [1], ['5']), /data\[0\] is "5", expected an integer for INT64/);
    refuses(one('INT64', [1], [2 ** 53]), /beyond ±2\^53/);
    refuses(one('BOOL', [2], [true, 1]), /data\[1\] is 1, expected a boolean for BOOL/);
    refuses(one('BYTES', [2], ['a', 5]), /data\[1\] is 5, expected a string for BYTES/);
    refuses(one('FP16', [1], [70000]), /data\[0\] is 70000, out of range for FP16/);
    refuses(one('BF16', [1], [1e39]), /out of range for BF16/);
    refuses(one('FP32', [1], [1e39]), /data\[0\] is 1e\+39, out of range for FP32/);
    refuses(one('FP32', [1], ['1.0']), /data\[0\] is "1\.0", expected a finite number for FP32/);
    refuses(one('FP64', [1], [null]), /data\[0\] is null, expected a finite number for FP64/);
    refuses(one('FP64', [1], [true]), /expected a finite number for FP64/);
  });
  test('duplicate inputs, id, parameters and outputs', () => {
    const x = { name: 'x', datatype: 'FP32', shape: [1], data: [1] };
    refuses({ inputs: [x, x] }, /inputs: "x" appears more than once/);
    refuses({ id: 42, inputs: [x] }, /id must be a string/);
    refuses({ parameters: [], inputs: [x] }, /parameters must be an object/);
    refuses({ parameters: { a: { b: 1 } }, inputs: [x] }, /parameters\.a must be a string, number or boolean/);
    refuses(one('FP32', [1], [1], { parameters: { p: null } }), /inputs\[0\] \("x"\)\.parameters\.p must be a string, number or boolean/);
    refuses({ outputs: 'y', inputs: [x] }, /outputs must be an array/);
    refuses({ outputs: [{}], inputs: [x] }, /outputs\[0\]\.name must be a non-empty string/);
    refuses({ outputs: [{ name: 'y' }, { name: 'y' }], inputs: [x] }, /outputs: "y" appears more than once/);
  });
  test('binary tensor data (no "data", a binary_data_size) is not implemented: 501', () => {
    refuses(one('FP32', [1], undefined, { parameters: { binary_data_size: 4 } }), /binary tensor data extension is not supported/, 501);
  });
});

test('errors map to KServe python statuses and the {"error"} body', () => {
  assert.deepEqual(errorResponse(ProtocolError.invalidInput('bad')), { status: 400, kind: 'InvalidInput', body: { error: 'bad' } });
  assert.deepEqual(errorResponse(ProtocolError.modelNotFound('m')), { status: 404, kind: 'ModelNotFound', body: { error: 'Model with name m does not exist.' } });
  assert.deepEqual(errorResponse(ProtocolError.modelNotReady('m')), { status: 503, kind: 'ModelNotReady', body: { error: 'Model with name m is not ready.' } });
  assert.equal(errorResponse(ProtocolError.serverNotReady()).status, 503);
  assert.equal(errorResponse(ProtocolError.notImplemented('no')).status, 501);
  assert.equal(errorResponse(ProtocolError.inference('boom')).status, 500);
  assert.deepEqual(errorResponse(new TypeError('oops')), { status: 500, kind: 'InternalError', body: { error: 'TypeError : oops' } });
});

test('a response encodes with flat data and only the fields it has', () => {
  const wire = encodeInferResponse({
    model_name: 'm', id: '1',
    outputs: [{ name: 'y', datatype: 'BOOL', shape: [1, 2], data: Uint8Array.from([0, 1]) }],
  });
  assert.equal(stringifyJson(wire), '{"model_name":"m","id":"1","outputs":[{"name":"y","datatype":"BOOL","shape":[1,2],"data":[false,true]}]}');
});

test('stringifyJson writes what JSON.stringify writes', () => {
  const v = { a: [1, 'two', null, true, { b: undefined, c: 0.1 }], d: 'q"uote', e: undefined, f: [undefined] };
  assert.equal(stringifyJson(v), JSON.stringify(v));
});

test('nest rebuilds nested lists from flat data', () => {
  assert.deepEqual(nest([1, 2, 3, 4, 5, 6], [2, 3]), [[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(nest([1, 2, 3, 4], [2, 1, 2]), [[[1, 2]], [[3, 4]]]);
  assert.deepEqual(nest([7], []), 7);
  assert.deepEqual(nest([], [2, 0]), [[], []]);
});
