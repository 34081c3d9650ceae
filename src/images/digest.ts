// Content digests: sha256 of buffers and of streams passing through, checked against what a descriptor promised.
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { ImageError } from './errors.js';

export function sha256Digest(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** The hex part of a `sha256:…` digest; other algorithms are refused (everything Floe stores is sha256). */
export function digestHex(digest: string): string {
  if (!/^sha256:[a-f0-9]{64}$/.test(digest)) throw new ImageError('ErrImagePull', `unsupported digest "${digest}": only sha256 content is stored`);
  return digest.slice('sha256:'.length);
}

/**
 * A pass-through that hashes and counts what flows through it; `digest()` once it has ended. With `expect`, the
 * stream fails at its end unless the bytes hash to `expect.digest` (and count `expect.size`), so a consumer that
 * reaches the end without an error has verified content.
 */
export class HashingStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private readonly expect: { what: string; digest: string; size?: number } | undefined;
  bytes = 0;
  private result: string | undefined;

  constructor(options: { expect?: { what: string; digest: string; size?: number } } = {}) {
    super();
    this.expect = options.expect;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    if (this.expect?.size !== undefined && this.bytes > this.expect.size) {
      callback(new ImageError('ErrImagePull', `${this.expect.what}: more than the ${this.expect.size} bytes its descriptor declares`));
      return;
    }
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.result = `sha256:${this.hash.digest('hex')}`;
    try {
      if (this.expect) checkDigest(this.expect.what, this.expect, { digest: this.result, bytes: this.bytes });
    } catch (err) {
      callback(err as Error);
      return;
    }
    callback();
  }

  digest(): string {
    if (this.result === undefined) throw new Error('HashingStream.digest() called before the stream ended');
    return this.result;
  }
}

/** Throws unless `actual` (and `bytes`, when a size is expected) match what `what` promised. */
export function checkDigest(what: string, expected: { digest: string; size?: number }, actual: { digest: string; bytes?: number }): void {
  if (expected.size !== undefined && actual.bytes !== undefined && expected.size !== actual.bytes) {
    throw new ImageError('ErrImagePull', `${what}: size mismatch: expected ${expected.size} bytes, got ${actual.bytes}`);
  }
  if (expected.digest !== actual.digest) throw new ImageError('ErrImagePull', `${what}: digest mismatch: expected ${expected.digest}, got ${actual.digest}`);
}
