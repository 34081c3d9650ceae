// `floe image load|ls|rm|pull|prune`: the local image store of a data directory (`<data dir>/images`), used directly,
// with no server: the store is shared with the kubelet of a `floe up` on the same data directory.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ImageError, ImageStore, loadArchive, parseDockerConfig, type CredentialEntry, type ImageRecord, type Platform, type PullProgress } from '../images/index.js';
import { CliError, ExitCode, UsageError } from './cli-error.js';
import { formatTable, toJson } from './printers.js';
import type { Io } from './session.js';

export interface ImageCliContext {
  dataDir: string;
  io: Io;
  env: NodeJS.ProcessEnv;
  now?: () => number;
}

export function imageStore(dataDir: string): ImageStore {
  return new ImageStore({ root: join(dataDir, 'images') });
}

/** Image errors are this machine's, not a server's: printed as `error: …`, exit code 1. */
async function local<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ImageError) throw new CliError(err.message, { cause: err });
    throw err;
  }
}

export function humanBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 2 : 1)}${units[i]}`;
}

function age(iso: string, now: number): string {
  const s = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

const short = (digest: string): string => digest.replace(/^sha256:/, '').slice(0, 12);

/** IMAGE, TAG, IMAGE ID, DIGEST, SIZE (unpacked), AGE: crictl's columns with the digest beside. */
export async function imageList(ctx: ImageCliContext, options: { output?: string; quiet?: boolean }): Promise<ExitCode> {
  const images = await local(() => imageStore(ctx.dataDir).list());
  if (options.output === 'json') {
    ctx.io.out(toJson({ images }));
    return ExitCode.Ok;
  }
  if (options.output !== undefined) throw new UsageError(`--output must be json, not "${options.output}"`);
  if (options.quiet) {
    ctx.io.out([...new Set(images.map((i) => short(i.configDigest)))].map((id) => `${id}\n`).join(''));
    return ExitCode.Ok;
  }
  const now = (ctx.now ?? Date.now)();
  const rows = [['IMAGE', 'TAG', 'IMAGE ID', 'DIGEST', 'SIZE', 'AGE']];
  for (const i of images) rows.push([i.repository, i.tag ?? '<none>', short(i.configDigest), short(i.repoDigest), humanBytes(i.unpackedSize), age(i.pulledAt, now)]);
  ctx.io.out(formatTable(rows));
  return ExitCode.Ok;
}

export async function imageLoad(ctx: ImageCliContext, file: string, options: { name?: string; quiet?: boolean }): Promise<ExitCode> {
  const records = await local(() => loadArchive(imageStore(ctx.dataDir), file, { ...(options.name ? { name: options.name } : {}), ...(options.quiet ? {} : { onProgress: (line: string) => ctx.io.err(`${line}\n`) }) }));
  for (const r of records) ctx.io.out(`Loaded image: ${r.name}\n`);
  return ExitCode.Ok;
}

/** Removes each image named; the ones that do not exist are reported, and the exit code is 1 if any did not. */
export async function imageRemove(ctx: ImageCliContext, images: string[]): Promise<ExitCode> {
  if (images.length === 0) throw new UsageError('image rm needs at least one IMAGE (a name, a digest or an image ID)');
  const store = imageStore(ctx.dataDir);
  let code: ExitCode = ExitCode.Ok;
  for (const image of images) {
    try {
      for (const name of await store.remove(image)) ctx.io.out(`Deleted: ${name}\n`);
    } catch (err) {
      if (!(err instanceof ImageError)) throw err;
      ctx.io.err(`error: ${err.message}\n`);
      code = ExitCode.Failed;
    }
  }
  return code;
}

/** The docker config.json a pull reads: --docker-config, else $DOCKER_CONFIG/config.json, else ~/.docker/config.json. */
export function dockerCredentials(file: string | undefined, env: NodeJS.ProcessEnv): CredentialEntry[] {
  const path = file ?? join(env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json');
  if (!existsSync(path)) {
    if (file !== undefined) throw new UsageError(`--docker-config ${file}: no such file`);
    return [];
  }
  try {
    return parseDockerConfig(readFileSync(path), path);
  } catch (err) {
    throw new CliError(err instanceof Error ? err.message : String(err));
  }
}

export function parsePlatform(text: string): Platform {
  const [os, architecture, variant] = text.split('/');
  if (!os || !architecture) throw new UsageError(`--platform must be OS/ARCH[/VARIANT], such as linux/amd64, not "${text}"`);
  return { os, architecture, ...(variant ? { variant } : {}) };
}

export async function imagePull(ctx: ImageCliContext, image: string, options: { dockerConfig?: string; insecureRegistry: string[]; platform?: string; quiet?: boolean }): Promise<ExitCode> {
  const store = new ImageStore({ root: join(ctx.dataDir, 'images'), ...(options.platform ? { platform: parsePlatform(options.platform) } : {}) });
  const credentials = dockerCredentials(options.dockerConfig, ctx.env);
  const started = Date.now();
  const progress = (e: PullProgress): void => {
    if (options.quiet) return;
    if (e.phase === 'resolved') ctx.io.err(`${e.image}: resolved to ${e.digest} (${e.layers} layers, ${humanBytes(e.bytes)})\n`);
    else if (e.state !== 'downloading' || e.bytes === 0) ctx.io.err(`${short(e.digest)}: ${e.state === 'downloading' ? `downloading ${humanBytes(e.total)}` : e.state === 'present' ? 'already present' : 'unpacked'}\n`);
  };
  const record: ImageRecord = await local(() => store.pull(image, { credentials, insecureRegistries: options.insecureRegistry, onProgress: progress }));
  if (!options.quiet) ctx.io.err(`pulled in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  ctx.io.out(`${record.name}@${record.repoDigest}\n`);
  return ExitCode.Ok;
}

export async function imagePrune(ctx: ImageCliContext, options: { unusedForMs?: number; maxBytes?: number; all?: boolean }): Promise<ExitCode> {
  const result = await local(() => imageStore(ctx.dataDir).gc({
    ...(options.all ? { unusedForMs: 0 } : options.unusedForMs !== undefined ? { unusedForMs: options.unusedForMs } : {}),
    ...(options.maxBytes !== undefined ? { maxBytes: options.maxBytes } : {}),
  }));
  for (const name of result.removedImages) ctx.io.out(`Deleted: ${name}\n`);
  ctx.io.out(`Total reclaimed space: ${humanBytes(result.freedBytes)} (${result.removedLayers} layers, ${result.removedBlobs} blobs)\n`);
  return ExitCode.Ok;
}

/** `10GB`, `512MiB`, `1000000`: a byte count. */
export function parseBytes(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kKMGT]i?)?B?$/.exec(text.trim());
  if (!m) throw new UsageError(`"${text}" is not a size: use forms such as 500MB, 2GiB or 1000000`);
  const unit = m[2] ?? '';
  const powers: Record<string, number> = { '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, ki: 1024, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };
  const factor = powers[unit];
  if (factor === undefined) throw new UsageError(`"${text}" has an unknown unit`);
  return Math.round(Number(m[1]) * factor);
}
