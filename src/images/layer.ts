// Unpacking one layer (a tar, plain, gzip or zstd) into its own directory, once, with every path kept inside it:
// no `..` escapes, no writing through a symlink, hard links only to files of the same layer. Whiteouts (`.wh.*`) are
// kept as the empty marker files they are in the tar; `rootfs.ts` applies them when it stacks layers.
import { chmodSync, closeSync, fchmodSync, fchownSync, futimesSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync, openSync, rmSync, symlinkSync, utimesSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Duplex, Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { Decompress as ZstdDecompress } from 'fzstd';
import { extract, type Header } from 'tar-stream';
import { HashingStream } from './digest.js';
import { ImageError } from './errors.js';
import type { Compression } from './manifest.js';

export interface UnpackResult {
  /** sha256 of the bytes read (the compressed blob): the layer's digest in a manifest. */
  digest: string;
  size: number;
  /** sha256 of the uncompressed tar: the layer's diff_id in the image config. */
  diffId: string;
  compression: Compression;
  /** Bytes of file content written. */
  unpackedBytes: number;
  entries: number;
  /** Entries not materialised: device nodes and FIFOs (the runtime provides /dev), with their paths. */
  skipped: string[];
}

export interface UnpackOptions {
  /** What the blob must hash to, when known (a pull); checked at the end, before the layer counts as unpacked. */
  expectDigest?: string;
  expectSize?: number;
  /** What the uncompressed tar must hash to (the config's diff_id), when known. */
  expectDiffId?: string;
  /** Name of the layer in error messages. */
  what?: string;
  /** Set ownership from the tar (default: when running as root). */
  chown?: boolean;
  /** Called with the compressed bytes read so far (progress). */
  onBytes?: (bytes: number) => void;
}

const gzipMagic = [0x1f, 0x8b];
const zstdMagic = [0x28, 0xb5, 0x2f, 0xfd];

/** Node's own zstd (Node ≥ 22.15 and 23.8) when present; Node 20 has none, so fzstd (pure JS) decodes. */
const nodeZstd = (zlib as unknown as { createZstdDecompress?: () => Transform }).createZstdDecompress;

function startsWith(buf: Buffer, magic: number[]): boolean {
  return buf.length >= magic.length && magic.every((b, i) => buf[i] === b);
}

/** A zstd decoder stream: Node's when it has one, else fzstd's streaming decoder. */
function zstdStream(): Transform {
  if (nodeZstd) return nodeZstd();
  let push: ((chunk: Uint8Array) => void) | undefined;
  const decoder = new ZstdDecompress((chunk) => push?.(chunk));
  return new Transform({
    transform(chunk: Buffer, _enc, callback: TransformCallback) {
      push = (c) => this.push(Buffer.from(c.buffer, c.byteOffset, c.byteLength));
      try {
        decoder.push(chunk);
        callback();
      } catch (err) {
        callback(new ImageError('ErrImagePull', `zstd: ${(err as Error).message}`));
      }
    },
    flush(callback: TransformCallback) {
      push = (c) => this.push(Buffer.from(c.buffer, c.byteOffset, c.byteLength));
      try {
        decoder.push(new Uint8Array(0), true);
        callback();
      } catch (err) {
        callback(new ImageError('ErrImagePull', `zstd: ${(err as Error).message}`));
      }
    },
  });
}

/**
 * Decompresses by the stream's first bytes (gzip, zstd, or a plain tar), whatever the media type said: the content
 * decides, as containerd's does. `detected` resolves to what was found.
 */
export function decompressing(): { stream: Duplex; detected: Promise<Compression> } {
  let resolveDetected!: (c: Compression) => void;
  const detected = new Promise<Compression>((r) => { resolveDetected = r; });
  const stream = Duplex.from(async function* (source: AsyncIterable<Buffer>) {
    const it = source[Symbol.asyncIterator]();
    let head = Buffer.alloc(0);
    let done = false;
    while (head.length < 4 && !done) {
      const r = await it.next();
      if (r.done) done = true;
      else head = Buffer.concat([head, r.value]);
    }
    const c: Compression = startsWith(head, gzipMagic) ? 'gzip' : startsWith(head, zstdMagic) ? 'zstd' : 'none';
    resolveDetected(c);
    async function* rest(): AsyncGenerator<Buffer> {
      if (head.length > 0) yield head;
      while (!done) {
        const r = await it.next();
        if (r.done) done = true;
        else yield r.value;
      }
    }
    if (c === 'none') {
      yield* rest();
      return;
    }
    const decoder = c === 'gzip' ? zlib.createGunzip() : zstdStream();
    const feeding = pipeline(Readable.from(rest()), decoder);
    feeding.catch(() => undefined);
    try {
      for await (const chunk of decoder) yield chunk as Buffer;
    } catch (err) {
      throw (err as Error).name === 'ImageError' ? err : new ImageError('ErrImagePull', `${c === 'gzip' ? 'gunzip' : 'zstd'}: ${(err as Error).message}`);
    }
    await feeding;
  });
  return { stream, detected };
}

/**
 * An entry's path made relative to the layer root: leading `/` and `./` dropped, `.` and inner `..` resolved. A path
 * that climbs out of the root is an error: a well-formed layer never has one.
 */
export function containedPath(name: string, what: string): string {
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) throw new ImageError('ErrImagePull', `${what}: the entry "${name}" points outside the layer`);
      parts.pop();
      continue;
    }
    parts.push(part);
  }
  return parts.join('/');
}

/**
 * Unpacks a layer blob into `dir` (which must exist and be empty), checking its digests when they are known. On an
 * error `dir` holds a partial layer; the caller removes it.
 */
export async function unpackLayer(source: Readable, dir: string, options: UnpackOptions = {}): Promise<UnpackResult> {
  const what = options.what ?? 'layer';
  const compressed = new HashingStream(options.expectDigest ? { expect: { what, digest: options.expectDigest, ...(options.expectSize !== undefined ? { size: options.expectSize } : {}) } } : {});
  const uncompressed = new HashingStream(options.expectDiffId ? { expect: { what: `${what} (uncompressed)`, digest: options.expectDiffId } } : {});
  const { stream: decompress, detected } = decompressing();
  if (options.onBytes) {
    const onBytes = options.onBytes;
    compressed.on('data', () => onBytes(compressed.bytes));
  }
  const writer = new LayerWriter(dir, what, options.chown ?? process.getuid?.() === 0);
  const tar = extract();
  const consume = (async () => {
    for await (const entry of tar) {
      await writer.write(entry.header, entry as unknown as AsyncIterable<Buffer>);
      // Whatever the writer did not read (a skipped entry) must still be drained for the next header to arrive.
      entry.resume();
    }
  })();
  try {
    await Promise.all([pipeline(source, compressed, decompress, uncompressed, tar), consume]);
  } catch (err) {
    tar.destroy();
    if (err instanceof ImageError) throw err;
    throw new ImageError('ErrImagePull', `${what}: ${(err as Error).message}`, { cause: err });
  }
  writer.finish();
  return {
    digest: compressed.digest(),
    size: compressed.bytes,
    diffId: uncompressed.digest(),
    compression: await detected,
    unpackedBytes: writer.bytes,
    entries: writer.entries,
    skipped: writer.skipped,
  };
}

/**
 * Writes tar entries under one root without ever following a symlink there. File system calls are synchronous and
 * fd-based: each takes microseconds, where an awaited call adds a thread-pool round trip (six per file). The event
 * loop still turns between entries and between the chunks of a file.
 */
class LayerWriter {
  bytes = 0;
  entries = 0;
  readonly skipped: string[] = [];
  /** Directories known to be real directories (not symlinks) under the root. */
  private readonly dirs = new Set<string>(['']);
  /** Directory times are set last: writing inside a directory changes its mtime. */
  private readonly dirTimes: { path: string; mtime: Date }[] = [];
  private readonly root: string;
  private readonly what: string;
  private readonly chown: boolean;

  constructor(root: string, what: string, chown: boolean) {
    this.root = root;
    this.what = what;
    this.chown = chown;
  }

  async write(header: Header, body: AsyncIterable<Buffer>): Promise<void> {
    this.entries++;
    const rel = containedPath(header.name, this.what);
    if (rel === '') {
      // The root itself ("./"): only its metadata could change, and the layer root is ours.
      return;
    }
    const abs = join(this.root, rel);
    this.ensureParents(rel);
    const mode = (header.mode ?? 0o644) & 0o7777;
    const mtime = header.mtime ?? new Date(0);
    switch (header.type) {
      case 'file':
      case 'contiguous-file': {
        this.clear(rel, abs);
        // O_EXCL: the path was just cleared, so nothing (no symlink planted by an earlier entry) is followed.
        const fd = openSync(abs, 'wx', 0o600);
        try {
          for await (const chunk of body) {
            let off = 0;
            while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
            this.bytes += chunk.length;
          }
          // chown before chmod: chown clears the setuid and setgid bits.
          if (this.chown) fchownSync(fd, header.uid ?? 0, header.gid ?? 0);
          fchmodSync(fd, mode);
          futimesSync(fd, mtime, mtime);
        } finally {
          closeSync(fd);
        }
        return;
      }
      case 'directory': {
        const existing = lstatSync(abs, { throwIfNoEntry: false });
        if (existing && !existing.isDirectory()) this.clear(rel, abs);
        if (!existing || !existing.isDirectory()) mkdirSync(abs);
        this.dirs.add(rel);
        if (this.chown) lchownSync(abs, header.uid ?? 0, header.gid ?? 0);
        chmodSync(abs, mode);
        this.dirTimes.push({ path: abs, mtime });
        return;
      }
      case 'symlink': {
        this.clear(rel, abs);
        // The target is stored as written: it is resolved inside the container's root, never here.
        symlinkSync(header.linkname ?? '', abs);
        if (this.chown) lchownSync(abs, header.uid ?? 0, header.gid ?? 0);
        lutimesSync(abs, mtime, mtime);
        return;
      }
      case 'link': {
        const target = containedPath(header.linkname ?? '', this.what);
        this.ensureParents(target);
        const targetAbs = join(this.root, target);
        const st = lstatSync(targetAbs, { throwIfNoEntry: false });
        if (!st || st.isDirectory()) throw new ImageError('ErrImagePull', `${this.what}: the hard link "${header.name}" points to "${header.linkname ?? ''}", which is not a file earlier in the layer`);
        if (target === rel) return;
        this.clear(rel, abs);
        linkSync(targetAbs, abs);
        return;
      }
      case 'character-device':
      case 'block-device':
      case 'fifo':
        this.skipped.push(rel);
        return;
      default:
        // Sparse files, volume labels and the like: not produced by image builders.
        this.skipped.push(rel);
        return;
    }
  }

  /** Every directory above `rel` exists and is a real directory: created when missing, never a symlink. */
  private ensureParents(rel: string): void {
    const parts = rel.split('/');
    parts.pop();
    let current = '';
    for (const part of parts) {
      current = current === '' ? part : `${current}/${part}`;
      if (this.dirs.has(current)) continue;
      const abs = join(this.root, current);
      const st = lstatSync(abs, { throwIfNoEntry: false });
      if (!st) {
        mkdirSync(abs, { mode: 0o755 });
      } else if (st.isSymbolicLink()) {
        throw new ImageError('ErrImagePull', `${this.what}: an entry would be written through the symlink "${current}"`);
      } else if (!st.isDirectory()) {
        throw new ImageError('ErrImagePull', `${this.what}: an entry would be written under "${current}", which is not a directory`);
      }
      this.dirs.add(current);
    }
  }

  /** Removes whatever is at `rel` (a later entry for the same path replaces the earlier one, as tar does). */
  private clear(rel: string, abs: string): void {
    const st = lstatSync(abs, { throwIfNoEntry: false });
    if (!st) return;
    rmSync(abs, { recursive: true, force: true });
    if (st.isDirectory()) for (const d of [...this.dirs]) if (d === rel || d.startsWith(`${rel}/`)) this.dirs.delete(d);
  }

  finish(): void {
    for (const { path, mtime } of this.dirTimes.reverse()) {
      try {
        utimesSync(path, mtime, mtime);
      } catch {
        // A directory a later entry replaced.
      }
    }
  }
}
