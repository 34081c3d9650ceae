// The local image store under one root (`<data dir>/images`): content-addressed blobs, layers unpacked once per
// diff_id, an index of image names, leases that keep in-flight content from the collector, pulls, loads and GC.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { type CredentialEntry } from './credentials.js';
import { digestHex, sha256Digest } from './digest.js';
import { ImageError } from './errors.js';
import { unpackLayer, type UnpackResult } from './layer.js';
import { layerCompressionOf, parseImageConfig, type ImageConfig, type Platform } from './manifest.js';
import { canonicalName, formatReference, normalizeReference, repositoryName, type ImageReference } from './reference.js';
import { RegistryClient } from './registry-client.js';
import { isOverlayLower } from './mounts.js';
import { assembleRootfs, type AssembleStats, type RootfsMode } from './rootfs.js';

export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';

export interface StoredLayer {
  /** The blob's digest in the manifest (compressed). */
  digest: string;
  /** sha256 of the uncompressed tar: the name of its unpacked directory. */
  diffId: string;
  mediaType: string;
  size: number;
}

/** One named image in the store. */
export interface ImageRecord {
  /** `repo:tag` or `repo@digest`, fully qualified: `docker.io/library/busybox:1.36`. */
  name: string;
  repository: string;
  tag?: string;
  /** The digest of the image manifest (this platform's). */
  digest: string;
  /** The digest the registry knows the image by: the index's when it came through one, else the manifest's. */
  repoDigest: string;
  /** The config's digest: the image ID, as `docker images` shows it. */
  configDigest: string;
  layers: StoredLayer[];
  /** Compressed bytes, as a registry lists them. */
  size: number;
  /** Bytes of file content once unpacked. */
  unpackedSize: number;
  created?: string;
  source: 'registry' | 'archive';
  pulledAt: string;
  lastUsedAt: string;
}

export type PullProgress =
  | { phase: 'resolved'; image: string; digest: string; layers: number; bytes: number }
  | { phase: 'layer'; digest: string; state: 'present' | 'downloading' | 'unpacked'; bytes: number; total: number };

export interface PullOptions {
  credentials?: readonly CredentialEntry[];
  insecureRegistries?: readonly string[];
  signal?: AbortSignal;
  onProgress?: (event: PullProgress) => void;
  /** Layers downloaded at once (Docker's default is 3). */
  concurrency?: number;
}

export interface GcOptions {
  /** Images in use (names or digests): never removed. */
  keep?: readonly string[];
  /** Remove images not used (pulled, or a rootfs made from them) for this long. */
  unusedForMs?: number;
  /** Remove least recently used images until the unpacked layers fit in this many bytes. */
  maxBytes?: number;
}

export interface GcResult {
  removedImages: string[];
  removedLayers: number;
  removedBlobs: number;
  freedBytes: number;
}

export interface RootfsResult {
  image: ImageRecord;
  config: ImageConfig;
  stats: AssembleStats;
}

export interface ImageStoreOptions {
  root: string;
  /** The platform pulled from multi-platform images (default: this machine's). */
  platform?: Platform;
  now?: () => number;
}

interface IndexFile {
  version: 1;
  images: Record<string, ImageRecord>;
}

interface LayerMeta {
  digest: string;
  size: number;
  unpackedBytes: number;
  compression: string;
  skipped: string[];
}

/** A lock older than this is taken to be abandoned even if its pid lives on (a reused pid). */
const lockStaleMs = 10 * 60_000;

/** The image store. Several processes (the kubelet in `floe up`, the `floe image` CLI) may share one root. */
export class ImageStore {
  readonly root: string;
  private readonly platform: Platform | undefined;
  private readonly now: () => number;
  private leaseCounter = 0;
  /** Pulls in flight in this process, by image and credentials: Pods starting together share one. */
  private readonly pulls = new Map<string, Promise<ImageRecord>>();
  /** Layer unpacks in flight in this process, by diff_id: two images sharing a base download it once. */
  private readonly unpacks = new Map<string, Promise<void>>();

  constructor(options: ImageStoreOptions) {
    this.root = options.root;
    this.platform = options.platform;
    this.now = options.now ?? Date.now;
  }

  blobPath(digest: string): string {
    return join(this.root, 'blobs', 'sha256', digestHex(digest));
  }

  /** The unpacked directory of the layer whose uncompressed tar has this digest. */
  layerPath(diffId: string): string {
    return join(this.root, 'layers', 'sha256', digestHex(diffId));
  }

  /** Every image, sorted by name. */
  async list(): Promise<ImageRecord[]> {
    const index = await this.readIndex();
    return Object.values(index.images).sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * The stored image `image` names: by name (`busybox` means `docker.io/library/busybox:latest`), by digest
   * (`repo@sha256:…`, the manifest's or the index's), or by image ID (the config digest, `sha256:…`, or a prefix of
   * its hex of 12 or more characters).
   */
  async find(image: string): Promise<ImageRecord | undefined> {
    return findIn(await this.readIndex(), image);
  }

  /** What the kubelet calls for a container: the image as `policy` wants it, pulling when needed. */
  async ensure(image: string, policy: PullPolicy, options: PullOptions = {}): Promise<{ image: ImageRecord; pulled: boolean }> {
    if (policy !== 'Always') {
      const found = await this.find(image);
      if (found) return { image: found, pulled: false };
      if (policy === 'Never') throw new ImageError('ErrImageNeverPull', `Container image "${image}" is not present with pull policy of Never`);
    }
    return { image: await this.pull(image, options), pulled: true };
  }

  /** Pulls `image` from its registry: resolves it for this platform, downloads and unpacks missing layers, names it. */
  async pull(image: string, options: PullOptions = {}): Promise<ImageRecord> {
    const ref = normalizeReference(image);
    const key = `${canonicalName(ref)} ${JSON.stringify(options.credentials ?? [])} ${JSON.stringify(options.insecureRegistries ?? [])}`;
    const running = this.pulls.get(key);
    if (running) return running;
    const pulling = this.pullOnce(ref, options).finally(() => this.pulls.delete(key));
    this.pulls.set(key, pulling);
    return pulling;
  }

  private async pullOnce(ref: ImageReference & { domain: string }, options: PullOptions): Promise<ImageRecord> {
    try {
      return await this.pullRef(ref, options);
    } catch (err) {
      if (err instanceof ImageError) throw new ImageError(err.pullReason, `failed to pull image "${formatReference(ref)}": ${err.message}`, { cause: err, status: err.reason });
      if ((err as Error).name === 'AbortError') throw new ImageError('ErrImagePull', `failed to pull image "${formatReference(ref)}": cancelled`, { cause: err });
      throw new ImageError('ErrImagePull', `failed to pull image "${formatReference(ref)}": ${(err as Error).message}`, { cause: err });
    }
  }

  private async pullRef(ref: ImageReference & { domain: string }, options: PullOptions): Promise<ImageRecord> {
    const client = new RegistryClient({
      ...(options.credentials ? { credentials: options.credentials } : {}),
      ...(options.insecureRegistries ? { insecureRegistries: options.insecureRegistries } : {}),
      ...(this.platform ? { platform: this.platform } : {}),
    });
    const signal = options.signal;
    const resolved = await client.resolve(ref, signal);
    const { manifest } = resolved;
    const total = manifest.layers.reduce((n, l) => n + l.size, 0);
    options.onProgress?.({ phase: 'resolved', image: formatReference(ref), digest: resolved.digest, layers: manifest.layers.length, bytes: total });
    for (const l of manifest.layers) layerCompressionOf(l.mediaType);
    const configBody = (await this.readBlob(manifest.config.digest)) ?? (await client.fetchBlobBuffer(ref, manifest.config, signal));
    const config = parseImageConfig(configBody);
    const diffIds = config.rootfs.diff_ids;
    if (diffIds.length !== manifest.layers.length) throw new ImageError('ErrImagePull', `the image config lists ${diffIds.length} layers (rootfs.diff_ids) but the manifest has ${manifest.layers.length}`);
    const protect = [resolved.digest, manifest.config.digest, ...diffIds, ...(resolved.index ? [resolved.index.digest] : [])];
    return this.withLease(protect, async () => {
      await this.putBlob(configBody);
      await this.putBlob(resolved.body);
      if (resolved.index) await this.putBlob(resolved.index.body);
      const layers: StoredLayer[] = manifest.layers.map((l, i) => ({ digest: l.digest, diffId: diffIds[i]!, mediaType: l.mediaType, size: l.size }));
      await runLimited(layers, options.concurrency ?? 3, async (layer) => {
        // Wait for another pull's unpack of this layer; checking the disk yields, so look again afterwards: a pull that
        // started meanwhile owns the unpack, and two unpacks of one layer would both download it.
        for (;;) {
          const other = this.unpacks.get(layer.diffId);
          if (other) await other.catch(() => undefined);
          const present = await this.hasLayer(layer.diffId);
          if (!present && this.unpacks.has(layer.diffId)) continue;
          if (!present) break;
          options.onProgress?.({ phase: 'layer', digest: layer.digest, state: 'present', bytes: layer.size, total: layer.size });
          return;
        }
        const unpacking = (async () => {
          options.onProgress?.({ phase: 'layer', digest: layer.digest, state: 'downloading', bytes: 0, total: layer.size });
          const stream = await client.fetchBlob(ref, layer, signal);
          await this.unpackIntoStore(stream, layer, `layer ${layer.digest}`, options.onProgress ? (bytes) => options.onProgress!({ phase: 'layer', digest: layer.digest, state: 'downloading', bytes, total: layer.size }) : undefined);
          options.onProgress?.({ phase: 'layer', digest: layer.digest, state: 'unpacked', bytes: layer.size, total: layer.size });
        })();
        this.unpacks.set(layer.diffId, unpacking);
        try {
          await unpacking;
        } finally {
          if (this.unpacks.get(layer.diffId) === unpacking) this.unpacks.delete(layer.diffId);
        }
      });
      return this.commit(ref, {
        digest: resolved.digest,
        repoDigest: resolved.index?.digest ?? resolved.digest,
        configDigest: manifest.config.digest,
        layers,
        ...(config.created ? { created: config.created } : {}),
        source: 'registry',
      });
    });
  }

  /** Names an image whose content is in the store (pull and load end here). */
  async commit(ref: ImageReference, content: Pick<ImageRecord, 'digest' | 'repoDigest' | 'configDigest' | 'layers' | 'source'> & { created?: string }): Promise<ImageRecord> {
    const now = new Date(this.now()).toISOString();
    let unpackedSize = 0;
    for (const l of content.layers) unpackedSize += (await this.layerMeta(l.diffId))?.unpackedBytes ?? 0;
    const record: ImageRecord = {
      name: canonicalName(ref),
      repository: repositoryName(ref),
      ...(ref.digest === undefined && ref.tag !== undefined ? { tag: ref.tag } : {}),
      ...content,
      size: content.layers.reduce((n, l) => n + l.size, 0),
      unpackedSize,
      pulledAt: now,
      lastUsedAt: now,
    };
    await this.updateIndex((index) => {
      index.images[record.name] = record;
    });
    return record;
  }

  /**
   * Removes the images `image` names (a name removes that name; an image ID or a digest removes every name of that
   * image), then the blobs and layers nothing references any more. The removed names.
   */
  async remove(image: string): Promise<string[]> {
    let removed: string[] = [];
    await this.updateIndex((index) => {
      const found = findIn(index, image);
      if (!found) return;
      const byContent = !looksLikeName(image, found);
      removed = byContent ? Object.values(index.images).filter((r) => r.configDigest === found.configDigest).map((r) => r.name) : [found.name];
      for (const name of removed) delete index.images[name];
    });
    if (removed.length === 0) throw new ImageError('ErrImageNeverPull', `no such image: ${image}`, { status: 'NotFound' });
    await this.gc({});
    return removed;
  }

  /**
   * Collects garbage: images unused for `unusedForMs`, then least recently used ones while the layers exceed
   * `maxBytes` (never those in `keep`), then every blob and layer no image or lease references.
   */
  async gc(options: GcOptions): Promise<GcResult> {
    const result: GcResult = { removedImages: [], removedLayers: 0, removedBlobs: 0, freedBytes: 0 };
    await this.withLock(async () => {
      const index = await this.readIndex();
      const kept = new Set<string>();
      for (const k of options.keep ?? []) {
        const r = findIn(index, k);
        if (r) kept.add(r.name);
      }
      const removable = (): ImageRecord[] => Object.values(index.images).filter((r) => !kept.has(r.name)).sort((a, b) => a.lastUsedAt.localeCompare(b.lastUsedAt));
      if (options.unusedForMs !== undefined) {
        const cutoff = this.now() - options.unusedForMs;
        for (const r of removable()) {
          if (Date.parse(r.lastUsedAt) < cutoff) {
            delete index.images[r.name];
            result.removedImages.push(r.name);
          }
        }
      }
      if (options.maxBytes !== undefined) {
        const sizes = new Map<string, number>();
        for (const r of Object.values(index.images)) for (const l of r.layers) if (!sizes.has(l.diffId)) sizes.set(l.diffId, (await this.layerMeta(l.diffId))?.unpackedBytes ?? 0);
        const used = (): number => {
          const live = new Set(Object.values(index.images).flatMap((r) => r.layers.map((l) => l.diffId)));
          let n = 0;
          for (const d of live) n += sizes.get(d) ?? 0;
          return n;
        };
        for (const r of removable()) {
          if (used() <= options.maxBytes) break;
          delete index.images[r.name];
          result.removedImages.push(r.name);
        }
      }
      if (result.removedImages.length > 0) await this.writeIndex(index);
      // The sweep: content referenced by an image or held by a live lease stays.
      const live = new Set<string>(await this.leasedDigests());
      for (const r of Object.values(index.images)) {
        for (const d of [r.digest, r.repoDigest, r.configDigest, ...r.layers.map((l) => l.diffId)]) live.add(d);
      }
      const blobDir = join(this.root, 'blobs', 'sha256');
      for (const hex of await readdir(blobDir).catch(() => [] as string[])) {
        if (live.has(`sha256:${hex}`)) continue;
        const p = join(blobDir, hex);
        const st = await stat(p).catch(() => undefined);
        // A blob being written (`<hex>.<pid>.<rand>.tmp`) is left alone unless its writer is long gone.
        if (hex.includes('.') && st && this.now() - st.mtimeMs < 3_600_000) continue;
        result.freedBytes += st?.size ?? 0;
        await rm(p, { force: true });
        result.removedBlobs++;
      }
      const layerDir = join(this.root, 'layers', 'sha256');
      for (const name of await readdir(layerDir).catch(() => [] as string[])) {
        const hex = name.endsWith('.json') ? name.slice(0, -'.json'.length) : name;
        if (live.has(`sha256:${hex}`)) continue;
        if (!name.endsWith('.json')) {
          result.freedBytes += (await this.layerMeta(`sha256:${hex}`))?.unpackedBytes ?? 0;
          result.removedLayers++;
        }
        await rm(join(layerDir, name), { recursive: true, force: true });
      }
      // Flattened trees of images no longer stored, unless a run still has one mounted as its overlay's lower layer.
      const rootfsDir = join(this.root, 'rootfs');
      for (const hex of await readdir(rootfsDir).catch(() => [] as string[])) {
        const images = Object.values(index.images);
        if (images.some((r) => r.configDigest === `sha256:${hex}`) || isOverlayLower(join(rootfsDir, hex))) continue;
        await rm(join(rootfsDir, hex), { recursive: true, force: true });
      }
      // Unpacks that a crashed process left behind.
      const tmp = join(this.root, 'tmp');
      for (const name of await readdir(tmp).catch(() => [] as string[])) {
        const st = await stat(join(tmp, name)).catch(() => undefined);
        if (st && this.now() - st.mtimeMs > 3_600_000) await rm(join(tmp, name), { recursive: true, force: true });
      }
    });
    return result;
  }

  /** The config of a stored image (Entrypoint, Cmd, Env, WorkingDir, User, …). */
  async config(image: string): Promise<{ image: ImageRecord; config: ImageConfig }> {
    const record = await this.require(image);
    const body = await this.readBlob(record.configDigest);
    if (!body) throw new ImageError('ErrImagePull', `the config ${record.configDigest} of image "${record.name}" is missing from the store: pull the image again`);
    return { image: record, config: parseImageConfig(body) };
  }

  /** The unpacked layer directories of an image, bottom first (for a runtime that stacks them itself, overlayfs say). */
  async layerDirs(image: string): Promise<string[]> {
    const record = await this.require(image);
    return record.layers.map((l) => this.layerPath(l.diffId));
  }

  /**
   * Builds a container's root filesystem at `target` (absent or empty) from a stored image, and returns the image's
   * config with it. `copy` (the default) gives a private, writable tree; `hardlink` shares the store's inodes and
   * suits only a read-only root filesystem.
   */
  async rootfs(image: string, target: string, options: { mode?: RootfsMode } = {}): Promise<RootfsResult> {
    const { image: record, config } = await this.config(image);
    const dirs = record.layers.map((l) => this.layerPath(l.diffId));
    const stats = await this.withLease(record.layers.map((l) => l.diffId), async () => {
      for (const [i, d] of dirs.entries()) {
        if (!(await stat(d).catch(() => undefined))?.isDirectory()) throw new ImageError('ErrImagePull', `layer ${record.layers[i]!.diffId} of image "${record.name}" is missing from the store: pull the image again`);
      }
      return assembleRootfs(dirs, target, options.mode ?? 'copy');
    });
    await this.touch(record.name);
    return { image: record, config, stats };
  }

  /**
   * The image's layers stacked once into `<root>/rootfs/<config hex>`, hard-linked from the store: the shared, read-only
   * lower layer of the overlay root filesystems of every container of the image (a run writes only to its own upper
   * folder; the kernel never writes to a lower one). Built beside and renamed into place, so it is whole or absent.
   */
  async flattened(image: string): Promise<RootfsResult & { dir: string }> {
    const { image: record, config } = await this.config(image);
    const dir = join(this.root, 'rootfs', digestHex(record.configDigest));
    let stats: AssembleStats = { files: 0, dirs: 0, symlinks: 0, bytes: 0, whiteouts: 0 };
    if (!(await stat(dir).catch(() => undefined))?.isDirectory()) {
      const tmp = await this.tmpDir('rootfs');
      try {
        await rm(tmp, { recursive: true, force: true });
        ({ stats } = await this.rootfs(image, tmp, { mode: 'hardlink' }));
        await mkdir(join(this.root, 'rootfs'), { recursive: true, mode: 0o700 });
        // Another run of the same image may have won the race: its tree is the same.
        await rename(tmp, dir).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
        });
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    }
    await this.touch(record.name);
    return { image: record, config, stats, dir };
  }

  /** Unpacks a layer blob into `layers/sha256/<diffId>` through a temporary directory, so a layer is there whole or not at all. */
  async unpackIntoStore(stream: Readable, expect: { digest?: string; size?: number; diffId?: string }, what: string, onBytes?: (bytes: number) => void): Promise<UnpackResult> {
    const tmp = await this.tmpDir('layer');
    let result: UnpackResult;
    try {
      result = await unpackLayer(stream, tmp, {
        what,
        ...(expect.digest ? { expectDigest: expect.digest } : {}),
        ...(expect.size !== undefined ? { expectSize: expect.size } : {}),
        ...(expect.diffId ? { expectDiffId: expect.diffId } : {}),
        ...(onBytes ? { onBytes } : {}),
      });
    } catch (err) {
      stream.destroy();
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
    const dest = this.layerPath(result.diffId);
    await mkdir(join(this.root, 'layers', 'sha256'), { recursive: true, mode: 0o700 });
    const meta: LayerMeta = { digest: result.digest, size: result.size, unpackedBytes: result.unpackedBytes, compression: result.compression, skipped: result.skipped };
    await writeFile(`${dest}.json`, JSON.stringify(meta));
    try {
      await rename(tmp, dest);
    } catch (err) {
      // Another pull unpacked the same layer first: theirs is as good as ours.
      await rm(tmp, { recursive: true, force: true });
      if (!(await this.hasLayer(result.diffId))) throw err;
    }
    return result;
  }

  async hasLayer(diffId: string): Promise<boolean> {
    return (await stat(this.layerPath(diffId)).catch(() => undefined))?.isDirectory() === true;
  }

  /** Stores a blob under its sha256 (write, then rename: readers never see half a blob). */
  async putBlob(data: Buffer): Promise<string> {
    const digest = sha256Digest(data);
    const path = this.blobPath(digest);
    if (await stat(path).catch(() => undefined)) return digest;
    await mkdir(join(this.root, 'blobs', 'sha256'), { recursive: true, mode: 0o700 });
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, data);
    await rename(tmp, path);
    return digest;
  }

  /** A stored blob, checked against its digest; undefined when absent. */
  async readBlob(digest: string): Promise<Buffer | undefined> {
    const data = await readFile(this.blobPath(digest)).catch(() => undefined);
    if (data && sha256Digest(data) !== digest) {
      await rm(this.blobPath(digest), { force: true });
      return undefined;
    }
    return data;
  }

  /** A fresh directory under `<root>/tmp`, on the store's file system so that it can be renamed into place. */
  async tmpDir(kind: string): Promise<string> {
    const dir = join(this.root, 'tmp', `${kind}-${process.pid}-${randomBytes(6).toString('hex')}`);
    await mkdir(join(this.root, 'tmp'), { recursive: true, mode: 0o700 });
    // Not 0700 itself: an unpacked layer's top folder becomes the container's `/`, which non-root users must traverse.
    await mkdir(dir);
    return dir;
  }

  /** Runs `fn` while `digests` are protected from `gc`, in this and any other process sharing the root. */
  async withLease<T>(digests: readonly string[], fn: () => Promise<T>): Promise<T> {
    const dir = join(this.root, 'leases');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, `${process.pid}-${++this.leaseCounter}-${randomBytes(3).toString('hex')}.json`);
    await writeFile(file, JSON.stringify(digests));
    try {
      return await fn();
    } finally {
      await rm(file, { force: true });
    }
  }

  private async leasedDigests(): Promise<string[]> {
    const dir = join(this.root, 'leases');
    const out: string[] = [];
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const pid = Number(name.split('-')[0]);
      if (!processAlive(pid)) {
        await rm(join(dir, name), { force: true });
        continue;
      }
      const digests = await readFile(join(dir, name), 'utf8').then((t) => JSON.parse(t) as string[]).catch(() => [] as string[]);
      out.push(...digests);
    }
    return out;
  }

  private async layerMeta(diffId: string): Promise<LayerMeta | undefined> {
    return readFile(`${this.layerPath(diffId)}.json`, 'utf8').then((t) => JSON.parse(t) as LayerMeta).catch(() => undefined);
  }

  private async require(image: string): Promise<ImageRecord> {
    const record = await this.find(image);
    if (!record) throw new ImageError('ErrImageNeverPull', `image "${image}" is not in the local store (${this.root}): pull or load it first`, { status: 'NotFound' });
    return record;
  }

  private async touch(name: string): Promise<void> {
    await this.updateIndex((index) => {
      const r = index.images[name];
      if (r) r.lastUsedAt = new Date(this.now()).toISOString();
    });
  }

  private async readIndex(): Promise<IndexFile> {
    let text: string;
    try {
      text = await readFile(join(this.root, 'images.json'), 'utf8');
    } catch {
      return { version: 1, images: {} };
    }
    const doc = JSON.parse(text) as IndexFile;
    if (doc.version !== 1) throw new Error(`${join(this.root, 'images.json')} has version ${String(doc.version)}; this Floe reads version 1`);
    return doc;
  }

  private async writeIndex(index: IndexFile): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    const path = join(this.root, 'images.json');
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(index, null, 1)}\n`);
    await rename(tmp, path);
  }

  private async updateIndex(change: (index: IndexFile) => void): Promise<void> {
    await this.withLock(async () => {
      const index = await this.readIndex();
      change(index);
      await this.writeIndex(index);
    });
  }

  /**
   * One writer at a time across processes: `mkdir` of `<root>/lock` is atomic. A lock whose owner died, or that is
   * older than ten minutes, is broken.
   */
  private async withLock<T>(fn: () => Promise<T>): Promise<T> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    const lock = join(this.root, 'lock');
    const deadline = Date.now() + 120_000;
    for (;;) {
      try {
        await mkdir(lock);
        await writeFile(join(lock, 'owner'), String(process.pid));
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const owner = Number(await readFile(join(lock, 'owner'), 'utf8').catch(() => '0'));
        const age = Date.now() - ((await stat(lock).catch(() => undefined))?.mtimeMs ?? Date.now());
        if ((owner > 0 && owner !== process.pid && !processAlive(owner)) || age > lockStaleMs) {
          await rm(lock, { recursive: true, force: true });
          continue;
        }
        if (Date.now() > deadline) throw new Error(`the image store ${this.root} stayed locked for 2 minutes (by pid ${owner})`);
        await new Promise((r) => setTimeout(r, 10 + Math.random() * 20));
      }
    }
    try {
      return await fn();
    } finally {
      await rm(lock, { recursive: true, force: true });
    }
  }
}

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether `image` names an image rather than its content (an ID or a bare digest). */
function looksLikeName(image: string, record: ImageRecord): boolean {
  if (/^(sha256:)?[a-f0-9]{12,64}$/.test(image)) return false;
  try {
    return normalizeReference(image).digest === undefined || canonicalName(normalizeReference(image)) === record.name;
  } catch {
    return false;
  }
}

function findIn(index: IndexFile, image: string): ImageRecord | undefined {
  const records = Object.values(index.images);
  const id = /^(?:sha256:)?([a-f0-9]{12,64})$/.exec(image);
  if (id) {
    const byId = records.find((r) => digestHex(r.configDigest).startsWith(id[1]!));
    if (byId) return byId;
  }
  let ref: ImageReference & { domain: string };
  try {
    ref = normalizeReference(image);
  } catch {
    return undefined;
  }
  if (ref.digest !== undefined) {
    const repo = repositoryName(ref);
    return records.find((r) => r.repository === repo && (r.digest === ref.digest || r.repoDigest === ref.digest));
  }
  return index.images[canonicalName(ref)];
}

/** Runs `fn` over `items`, at most `limit` at once; the first failure rejects (the others finish first). */
async function runLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async (): Promise<void> => {
    while (next < items.length && errors.length === 0) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (err) {
        errors.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (errors.length > 0) throw errors[0];
}

/** Reads a file as a stream (for loads from archives). */
export function fileStream(path: string): Readable {
  return createReadStream(path);
}
