// Small images built from files, for tests and benchmarks: layer tars (plain, gzip, zstd), OCI image layouts, and the
// archives `floe image load` reads (`docker save` tars and OCI-layout tars).
import { spawnSync } from 'node:child_process';
import { lstat, mkdir, readFile, readdir, readlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack, type Header } from 'tar-stream';
import { sha256Digest } from './digest.js';
import { MediaType, type Compression, type Descriptor, type ImageRuntimeConfig, type Platform } from './manifest.js';
import type { ImageReference } from './reference.js';
import type { RegistryClient } from './registry-client.js';

export interface LayerEntry {
  path: string;
  type?: 'file' | 'dir' | 'symlink' | 'link' | 'fifo' | 'char';
  content?: Buffer | string;
  mode?: number;
  uid?: number;
  gid?: number;
  /** Target of a symlink (as written) or a hard link (a path in the same layer). */
  linkname?: string;
  mtime?: Date;
}

const epoch = new Date('2024-01-01T00:00:00Z');

/** A tar of `entries`, in order, exactly as given (no path cleaning: tests write malicious ones on purpose). */
export async function layerTar(entries: readonly LayerEntry[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of p as unknown as AsyncIterable<Buffer>) chunks.push(chunk);
  })();
  for (const e of entries) {
    const type = e.type ?? 'file';
    const header: Partial<Header> & { name: string } = {
      name: e.path,
      mode: e.mode ?? (type === 'dir' ? 0o755 : 0o644),
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      mtime: e.mtime ?? epoch,
      type: type === 'dir' ? 'directory' : type === 'char' ? 'character-device' : type,
    };
    if (e.linkname !== undefined) header.linkname = e.linkname;
    const body = type === 'file' ? Buffer.from(e.content ?? '') : undefined;
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
      if (body) p.entry(header, body, cb);
      else p.entry(header, cb);
    });
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** Entries for every file under `dir`, with paths relative to it and modes and symlinks as they are on disk. */
export async function entriesFromDir(dir: string, prefix = ''): Promise<LayerEntry[]> {
  const out: LayerEntry[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const name of (await readdir(d)).sort()) {
      const abs = join(d, name);
      const rel = `${prefix}${relative(dir, abs)}`;
      const lst = await lstat(abs);
      if (lst.isSymbolicLink()) out.push({ path: rel, type: 'symlink', linkname: await readlink(abs) });
      else if (lst.isDirectory()) {
        out.push({ path: `${rel}/`, type: 'dir', mode: lst.mode & 0o7777 });
        await walk(abs);
      } else if (lst.isFile()) out.push({ path: rel, content: await readFile(abs), mode: lst.mode & 0o7777 });
    }
  };
  await walk(dir);
  return out;
}

/**
 * zstd of `data`: the `zstd` command when it is installed, else a valid frame of raw (stored) blocks, which every
 * decoder must read, so zstd layers can be tested on any machine.
 */
export function zstdCompress(data: Buffer): Buffer {
  const r = spawnSync('zstd', ['-q', '-c', '-3'], { input: data, maxBuffer: 1 << 30 });
  if (r.status === 0 && r.stdout.length > 0) return r.stdout;
  return zstdStoredFrame(data);
}

/** A zstd frame (RFC 8878) holding `data` in raw blocks of at most 128 KiB, single-segment with its content size. */
export function zstdStoredFrame(data: Buffer): Buffer {
  const parts: Buffer[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xe0])];
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(data.length));
  parts.push(size);
  const max = 128 * 1024;
  let offset = 0;
  do {
    const n = Math.min(max, data.length - offset);
    const last = offset + n >= data.length ? 1 : 0;
    const header = (n << 3) | (0 << 1) | last;
    parts.push(Buffer.from([header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff]), data.subarray(offset, offset + n));
    offset += n;
  } while (offset < data.length);
  return Buffer.concat(parts);
}

export function compress(tar: Buffer, compression: Compression): Buffer {
  if (compression === 'gzip') return gzipSync(tar);
  if (compression === 'zstd') return zstdCompress(tar);
  return tar;
}

const layerMediaType: Record<Compression, string> = { none: MediaType.ociLayer, gzip: MediaType.ociLayerGzip, zstd: MediaType.ociLayerZstd };

export interface BuiltBlob {
  descriptor: Descriptor;
  data: Buffer;
}

export interface BuiltImage {
  manifest: BuiltBlob;
  config: BuiltBlob;
  layers: BuiltBlob[];
  /** Each layer's uncompressed tar, and its sha256 (the config's diff_ids). */
  tars: Buffer[];
  diffIds: string[];
}

export interface ImageSpec {
  layers: readonly (readonly LayerEntry[])[];
  compression?: Compression;
  config?: ImageRuntimeConfig;
  platform?: Platform;
  /** Docker v2 media types (manifest, config, gzip layers) instead of OCI's. */
  docker?: boolean;
}

function blob(mediaType: string, data: Buffer, extra: Partial<Descriptor> = {}): BuiltBlob {
  return { data, descriptor: { mediaType, digest: sha256Digest(data), size: data.length, ...extra } };
}

/** The manifest, config and layer blobs of one image. */
export async function buildImage(spec: ImageSpec): Promise<BuiltImage> {
  const compression = spec.docker ? 'gzip' : spec.compression ?? 'gzip';
  const tars = await Promise.all(spec.layers.map((l) => layerTar(l)));
  const diffIds = tars.map((t) => sha256Digest(t));
  const layers = tars.map((t) => blob(spec.docker ? MediaType.dockerLayerGzip : layerMediaType[compression], compress(t, compression)));
  const platform = spec.platform ?? { os: 'linux', architecture: 'amd64' };
  const configDoc = {
    created: epoch.toISOString(),
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    config: spec.config ?? {},
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: spec.layers.map(() => ({ created: epoch.toISOString(), created_by: 'floe image-builder' })),
  };
  const config = blob(spec.docker ? MediaType.dockerConfig : MediaType.ociConfig, Buffer.from(JSON.stringify(configDoc)));
  const manifestDoc = {
    schemaVersion: 2,
    mediaType: spec.docker ? MediaType.dockerManifest : MediaType.ociManifest,
    config: config.descriptor,
    layers: layers.map((l) => l.descriptor),
  };
  const manifest = blob(manifestDoc.mediaType, Buffer.from(JSON.stringify(manifestDoc)), { platform });
  return { manifest, config, layers, tars, diffIds };
}

/** An index (OCI or, with `docker`, a Docker manifest list) over several images' manifests. */
export function buildIndex(images: readonly BuiltImage[], options: { docker?: boolean; extra?: Descriptor[] } = {}): BuiltBlob {
  const mediaType = options.docker ? MediaType.dockerManifestList : MediaType.ociIndex;
  const doc = { schemaVersion: 2, mediaType, manifests: [...images.map((i) => i.manifest.descriptor), ...(options.extra ?? [])] };
  return blob(mediaType, Buffer.from(JSON.stringify(doc)));
}

/**
 * Writes an OCI image layout into `dir`: `oci-layout`, `index.json` naming each image (the full reference in
 * `io.containerd.image.name`, the tag in `org.opencontainers.image.ref.name`, as containerd and skopeo write them),
 * and every blob under `blobs/sha256/`.
 */
export async function writeOciLayout(dir: string, images: readonly { name?: string; tag?: string; image: BuiltImage; index?: BuiltBlob; others?: BuiltImage[] }[]): Promise<void> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const put = (b: BuiltBlob): Promise<void> => writeFile(join(dir, 'blobs', 'sha256', b.descriptor.digest.slice('sha256:'.length)), b.data);
  const manifests: Descriptor[] = [];
  for (const entry of images) {
    for (const img of [entry.image, ...(entry.others ?? [])]) for (const b of [img.manifest, img.config, ...img.layers]) await put(b);
    if (entry.index) await put(entry.index);
    const top = entry.index?.descriptor ?? entry.image.manifest.descriptor;
    const annotations: Record<string, string> = {};
    if (entry.name) annotations['io.containerd.image.name'] = entry.name;
    if (entry.tag ?? entry.name) annotations['org.opencontainers.image.ref.name'] = entry.tag ?? entry.name!;
    manifests.push({ mediaType: top.mediaType, digest: top.digest, size: top.size, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) });
  }
  await writeFile(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests }));
}

/** A tar of a directory tree (an OCI layout), the way `tar -C dir -cf file .` writes it. */
export async function tarDirectory(dir: string): Promise<Buffer> {
  return layerTar(await entriesFromDir(dir));
}

/**
 * A `docker save` archive of images: `manifest.json` (Config, RepoTags, Layers), the config as `<hex>.json`, and each
 * layer uncompressed as `<diffId hex>/layer.tar` (the layout Docker used before version 25).
 */
export async function dockerSaveArchive(images: readonly { repoTags: string[]; image: BuiltImage }[]): Promise<Buffer> {
  const entries: LayerEntry[] = [];
  const manifest = images.map(({ repoTags, image }) => {
    const configName = `${image.config.descriptor.digest.slice('sha256:'.length)}.json`;
    entries.push({ path: configName, content: image.config.data });
    const layers = image.tars.map((t, i) => {
      const name = `${image.diffIds[i]!.slice('sha256:'.length)}/layer.tar`;
      entries.push({ path: `${image.diffIds[i]!.slice('sha256:'.length)}/`, type: 'dir' }, { path: name, content: t });
      return name;
    });
    return { Config: configName, RepoTags: repoTags, Layers: layers };
  });
  entries.push({ path: 'manifest.json', content: JSON.stringify(manifest) });
  return layerTar(entries);
}

/**
 * Pushes a built image (its blobs, then its manifest) to a registry under `reference` (a tag or, for an image that
 * an index lists, its digest); with `index`, pushes every image and the index under `reference` instead.
 */
export async function pushBuiltImage(client: RegistryClient, ref: ImageReference, images: readonly BuiltImage[], reference: string, index?: BuiltBlob): Promise<string> {
  for (const image of images) {
    for (const b of [image.config, ...image.layers]) await client.pushBlob(ref, b.data);
    await client.pushManifest(ref, index ? image.manifest.descriptor.digest : reference, image.manifest.data, image.manifest.descriptor.mediaType);
  }
  if (index) return client.pushManifest(ref, reference, index.data, index.descriptor.mediaType);
  return images[0]!.manifest.descriptor.digest;
}
