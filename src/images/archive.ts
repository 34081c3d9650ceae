// `floe image load`: images from a `docker save` archive (manifest.json and layer tars) or an OCI image layout (a tar
// of one, or the directory itself), checked against their digests and unpacked into the store like pulled ones.
import { createReadStream } from 'node:fs';
import { open, readFile, rm, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { join } from 'node:path';
import { HashingStream, sha256Digest } from './digest.js';
import { ImageError } from './errors.js';
import { containedPath, unpackLayer } from './layer.js';
import { hostPlatform, layerCompressionOf, MediaType, parseImageConfig, parseManifest, selectPlatform, type Descriptor, type ImageManifest, type Platform } from './manifest.js';
import { normalizeReference, type ImageReference } from './reference.js';
import type { ImageRecord, ImageStore, StoredLayer } from './store.js';

export interface LoadOptions {
  /** The name to give an image the archive does not name (or names only by a tag); needs a single-image archive. */
  name?: string;
  platform?: Platform;
  onProgress?: (line: string) => void;
}

const loadError = (file: string, why: string): ImageError => new ImageError('ErrImagePull', `cannot load ${file}: ${why}`, { status: 'BadRequest' });

/** Loads every image of `file` (a tar, gzip-compressed or not, or an OCI layout directory) into `store`. */
export async function loadArchive(store: ImageStore, file: string, options: LoadOptions = {}): Promise<ImageRecord[]> {
  const st = await stat(file).catch(() => undefined);
  if (!st) throw loadError(file, 'no such file');
  if (st.isDirectory()) return loadLayoutDir(store, file, file, options);
  const dir = await store.tmpDir('load');
  try {
    options.onProgress?.(`unpacking ${file}`);
    // The archive is a tar like a layer: the same unpacker keeps its paths inside `dir`.
    await unpackLayer(createReadStream(file), dir, { what: file, chown: false });
    if (await exists(join(dir, 'index.json'))) return await loadLayoutDir(store, dir, file, options);
    if (await exists(join(dir, 'manifest.json'))) return await loadDockerSave(store, dir, file, options);
    throw loadError(file, 'it is neither a `docker save` archive (no manifest.json) nor an OCI image layout (no index.json)');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined)) !== undefined;
}

/** A file of the archive, by a path the archive itself gave: kept inside the archive's directory. */
function inside(dir: string, path: string, file: string): string {
  const rel = containedPath(path, file);
  if (rel === '') throw loadError(file, `"${path}" is not a file of the archive`);
  return join(dir, rel);
}

async function readLayoutBlob(dir: string, desc: Pick<Descriptor, 'digest' | 'size'>, file: string): Promise<Buffer> {
  const [algorithm, hex] = desc.digest.split(':') as [string, string];
  const data = await readFile(inside(dir, `blobs/${algorithm}/${hex}`, file)).catch(() => undefined);
  if (!data) throw loadError(file, `blob ${desc.digest} is missing`);
  if (sha256Digest(data) !== desc.digest) throw loadError(file, `blob ${desc.digest} does not match its digest`);
  return data;
}

/** The name of an index.json entry: containerd's full name, or an OCI ref.name that is a full reference, or `--name`. */
function layoutName(desc: Descriptor, single: boolean, options: LoadOptions, file: string): ImageReference {
  const full = desc.annotations?.['io.containerd.image.name'];
  const refName = desc.annotations?.['org.opencontainers.image.ref.name'];
  if (options.name && single) return normalizeReference(options.name);
  if (full) return normalizeReference(full);
  if (refName && /[/:]/.test(refName)) return normalizeReference(refName);
  if (refName && options.name) {
    // A bare tag (what skopeo and umoci write): the repository comes from --name.
    const base = normalizeReference(options.name);
    return { domain: base.domain, path: base.path, tag: refName };
  }
  throw loadError(file, `the image ${desc.digest} has ${refName ? `only the tag "${refName}"` : 'no name'} in index.json: give it one with --name REPOSITORY[:TAG]`);
}

async function loadLayoutDir(store: ImageStore, dir: string, file: string, options: LoadOptions): Promise<ImageRecord[]> {
  if (!(await exists(join(dir, 'oci-layout')))) throw loadError(file, 'an OCI image layout needs an oci-layout file');
  const top = parseManifest(await readFile(join(dir, 'index.json')), MediaType.ociIndex);
  if (top.kind !== 'index') throw loadError(file, 'index.json is not an image index');
  if (top.manifests.length === 0) throw loadError(file, 'index.json lists no images');
  const records: ImageRecord[] = [];
  for (const desc of top.manifests) {
    const ref = layoutName(desc, top.manifests.length === 1, options, file);
    let body = await readLayoutBlob(dir, desc, file);
    let doc = parseManifest(body, desc.mediaType);
    let repoDigest = desc.digest;
    let digest = desc.digest;
    if (doc.kind === 'index') {
      const chosen = selectPlatform(doc, options.platform ?? hostPlatform());
      await store.putBlob(body);
      body = await readLayoutBlob(dir, chosen, file);
      doc = parseManifest(body, chosen.mediaType);
      digest = chosen.digest;
      if (doc.kind !== 'manifest') throw loadError(file, `${chosen.digest} is a nested index: not supported`);
    } else {
      repoDigest = desc.digest;
    }
    const manifest: ImageManifest = doc;
    const configBody = await readLayoutBlob(dir, manifest.config, file);
    const config = parseImageConfig(configBody);
    if (config.rootfs.diff_ids.length !== manifest.layers.length) throw loadError(file, `the config of ${digest} lists ${config.rootfs.diff_ids.length} layers but its manifest ${manifest.layers.length}`);
    const layers: StoredLayer[] = manifest.layers.map((l, i) => ({ digest: l.digest, diffId: config.rootfs.diff_ids[i]!, mediaType: l.mediaType, size: l.size }));
    const record = await store.withLease([digest, repoDigest, manifest.config.digest, ...layers.map((l) => l.diffId)], async () => {
      await store.putBlob(body);
      await store.putBlob(configBody);
      for (const layer of layers) {
        layerCompressionOf(layer.mediaType);
        if (await store.hasLayer(layer.diffId)) continue;
        const [algorithm, hex] = layer.digest.split(':') as [string, string];
        const path = inside(dir, `blobs/${algorithm}/${hex}`, file);
        if (!(await exists(path))) throw loadError(file, `layer ${layer.digest} is missing`);
        options.onProgress?.(`unpacking layer ${layer.digest}`);
        await store.unpackIntoStore(createReadStream(path), { digest: layer.digest, size: layer.size, diffId: layer.diffId }, `layer ${layer.digest} of ${file}`);
      }
      return store.commit(ref, { digest, repoDigest, configDigest: manifest.config.digest, layers, ...(config.created ? { created: config.created } : {}), source: 'archive' });
    });
    options.onProgress?.(`loaded ${record.name}`);
    records.push(record);
  }
  return records;
}

interface DockerSaveEntry {
  Config?: unknown;
  RepoTags?: unknown;
  Layers?: unknown;
}

async function loadDockerSave(store: ImageStore, dir: string, file: string, options: LoadOptions): Promise<ImageRecord[]> {
  let entries: DockerSaveEntry[];
  try {
    entries = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as DockerSaveEntry[];
  } catch {
    throw loadError(file, 'manifest.json is not JSON');
  }
  if (!Array.isArray(entries) || entries.length === 0) throw loadError(file, 'manifest.json lists no images');
  const records: ImageRecord[] = [];
  for (const entry of entries) {
    if (typeof entry.Config !== 'string' || !Array.isArray(entry.Layers)) throw loadError(file, 'a manifest.json entry needs Config and Layers');
    const tags = Array.isArray(entry.RepoTags) ? entry.RepoTags.filter((t): t is string => typeof t === 'string') : [];
    const refs = tags.length > 0 ? tags.map((t) => normalizeReference(t)) : options.name && entries.length === 1 ? [normalizeReference(options.name)] : [];
    if (refs.length === 0) throw loadError(file, `the image ${entry.Config} has no RepoTags: give it a name with --name REPOSITORY[:TAG]`);
    const configBody = await readFile(inside(dir, entry.Config, file)).catch(() => undefined);
    if (!configBody) throw loadError(file, `its config ${entry.Config} is missing`);
    const config = parseImageConfig(configBody);
    const paths = entry.Layers.map((l) => {
      if (typeof l !== 'string') throw loadError(file, 'a Layers entry is not a path');
      return inside(dir, l, file);
    });
    if (paths.length !== config.rootfs.diff_ids.length) throw loadError(file, `the config ${entry.Config} lists ${config.rootfs.diff_ids.length} layers but manifest.json ${paths.length}`);
    const configDigest = sha256Digest(configBody);
    const made = await store.withLease([configDigest, ...config.rootfs.diff_ids], async () => {
      await store.putBlob(configBody);
      const layers: StoredLayer[] = [];
      for (const [i, path] of paths.entries()) {
        const diffId = config.rootfs.diff_ids[i]!;
        // Docker saves layers uncompressed (the blob digest is then the diff_id); a present layer is only hashed.
        const result = (await store.hasLayer(diffId))
          ? await hashFile(path)
          : (options.onProgress?.(`unpacking layer ${diffId}`), await store.unpackIntoStore(createReadStream(path), { diffId }, `layer ${i} (${String((entry.Layers as unknown[])[i])}) of ${file}`));
        const mediaType = result.compression === 'gzip' ? MediaType.ociLayerGzip : result.compression === 'zstd' ? MediaType.ociLayerZstd : MediaType.ociLayer;
        layers.push({ digest: result.digest, diffId, mediaType, size: result.size });
      }
      // docker save keeps no manifest: write the OCI manifest these blobs make, so the image has a digest like any other.
      const manifest = {
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        config: { mediaType: MediaType.ociConfig, digest: configDigest, size: configBody.length },
        layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
      };
      const digest = await store.putBlob(Buffer.from(JSON.stringify(manifest)));
      const out: ImageRecord[] = [];
      for (const ref of refs) out.push(await store.commit(ref, { digest, repoDigest: digest, configDigest, layers, ...(config.created ? { created: config.created } : {}), source: 'archive' }));
      return out;
    });
    for (const r of made) options.onProgress?.(`loaded ${r.name}`);
    records.push(...made);
  }
  return records;
}

/** A file's digest, size and compression (by its first bytes), without unpacking it. */
async function hashFile(path: string): Promise<{ digest: string; size: number; compression: 'none' | 'gzip' | 'zstd' }> {
  const fh = await open(path, 'r');
  const head = Buffer.alloc(4);
  try {
    await fh.read(head, 0, 4, 0);
  } finally {
    await fh.close();
  }
  const hashing = new HashingStream();
  hashing.resume();
  await pipeline(createReadStream(path), hashing);
  const compression = head[0] === 0x1f && head[1] === 0x8b ? 'gzip' : head.readUInt32LE(0) === 0xfd2fb528 ? 'zstd' : 'none';
  return { digest: hashing.digest(), size: hashing.bytes, compression };
}
