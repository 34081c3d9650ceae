// OCI and Docker v2 image documents: media types, indexes and manifests, the image config, platform choice. Pure.
import { ImageError } from './errors.js';
import { validateDigest } from './reference.js';

export const MediaType = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociLayerNondistributable: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  ociLayerNondistributableGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  ociLayerNondistributableZstd: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerManifestSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerLayerForeignGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
} as const;

/** What a registry is asked for: indexes and manifests of both families, most specific first. */
export const manifestAccept = [MediaType.ociIndex, MediaType.dockerManifestList, MediaType.ociManifest, MediaType.dockerManifest].join(', ');

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
  urls?: string[];
}

export interface ImageIndex {
  kind: 'index';
  mediaType: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageManifest {
  kind: 'manifest';
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

/** The parts of the image config (OCI `config` / Docker `container_config`) a container runtime needs. */
export interface ImageRuntimeConfig {
  User?: string;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string;
  ExposedPorts?: Record<string, object>;
  Volumes?: Record<string, object>;
  Labels?: Record<string, string>;
  StopSignal?: string;
}

export interface ImageConfig {
  architecture: string;
  os: string;
  variant?: string;
  created?: string;
  config?: ImageRuntimeConfig;
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: unknown[];
}

export type Compression = 'none' | 'gzip' | 'zstd';

const layerCompression: Record<string, Compression> = {
  [MediaType.ociLayer]: 'none',
  [MediaType.ociLayerNondistributable]: 'none',
  [MediaType.ociLayerGzip]: 'gzip',
  [MediaType.ociLayerNondistributableGzip]: 'gzip',
  [MediaType.dockerLayerGzip]: 'gzip',
  [MediaType.dockerLayerForeignGzip]: 'gzip',
  [MediaType.ociLayerZstd]: 'zstd',
  [MediaType.ociLayerNondistributableZstd]: 'zstd',
};

/** The compression a layer media type declares; throws for a media type that is not a filesystem layer. */
export function layerCompressionOf(mediaType: string): Compression {
  const c = layerCompression[mediaType];
  if (c === undefined) throw new ImageError('ErrImagePull', `unsupported layer media type "${mediaType}"`);
  return c;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function descriptor(v: unknown, where: string): Descriptor {
  if (!isObject(v)) throw new ImageError('ErrImagePull', `${where} is not a descriptor object`);
  const { mediaType, digest, size, platform, annotations, urls } = v;
  if (typeof mediaType !== 'string' || typeof digest !== 'string' || typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new ImageError('ErrImagePull', `${where} needs mediaType, digest and a non-negative size`);
  }
  try {
    validateDigest(digest);
  } catch (err) {
    throw new ImageError('ErrImagePull', `${where}.digest: ${(err as Error).message}`);
  }
  const d: Descriptor = { mediaType, digest, size };
  if (isObject(platform) && typeof platform.os === 'string' && typeof platform.architecture === 'string') {
    d.platform = { os: platform.os, architecture: platform.architecture, ...(typeof platform.variant === 'string' ? { variant: platform.variant } : {}) };
  }
  if (isObject(annotations)) d.annotations = Object.fromEntries(Object.entries(annotations).filter((e): e is [string, string] => typeof e[1] === 'string'));
  if (Array.isArray(urls)) d.urls = urls.filter((u): u is string => typeof u === 'string');
  return d;
}

/**
 * Reads an index or manifest body. The body's own `mediaType` wins over the HTTP Content-Type (`contentType`), which
 * fills in for documents that leave it out (OCI allows that); failing both, the shape decides.
 */
export function parseManifest(body: Buffer | string, contentType?: string): ImageIndex | ImageManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString());
  } catch {
    throw new ImageError('ErrImagePull', 'the manifest is not JSON');
  }
  if (!isObject(doc)) throw new ImageError('ErrImagePull', 'the manifest is not a JSON object');
  const declared = typeof doc.mediaType === 'string' ? doc.mediaType : contentType?.split(';')[0]?.trim();
  const mediaType = declared || (Array.isArray(doc.manifests) ? MediaType.ociIndex : MediaType.ociManifest);
  const annotations = isObject(doc.annotations) ? (doc.annotations as Record<string, string>) : undefined;
  switch (mediaType) {
    case MediaType.ociIndex:
    case MediaType.dockerManifestList: {
      if (!Array.isArray(doc.manifests)) throw new ImageError('ErrImagePull', `the ${mediaType} document has no manifests list`);
      return { kind: 'index', mediaType, manifests: doc.manifests.map((m, i) => descriptor(m, `manifests[${i}]`)), ...(annotations ? { annotations } : {}) };
    }
    case MediaType.ociManifest:
    case MediaType.dockerManifest: {
      if (!Array.isArray(doc.layers)) throw new ImageError('ErrImagePull', `the ${mediaType} document has no layers list`);
      return {
        kind: 'manifest',
        mediaType,
        config: descriptor(doc.config, 'config'),
        layers: doc.layers.map((l, i) => descriptor(l, `layers[${i}]`)),
        ...(annotations ? { annotations } : {}),
      };
    }
    case MediaType.dockerManifestSchema1:
    case MediaType.dockerManifestSchema1Signed:
      throw new ImageError('ErrImagePull', 'the registry serves this image only as a Docker schema 1 manifest, which is deprecated and not supported: push it again with a current client');
    default:
      throw new ImageError('ErrImagePull', `unsupported manifest media type "${mediaType}"`);
  }
}

/** Reads an image config blob; the rootfs diff_ids are what unpacked layers are checked against. */
export function parseImageConfig(body: Buffer | string): ImageConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString());
  } catch {
    throw new ImageError('ErrImagePull', 'the image config is not JSON');
  }
  if (!isObject(doc) || !isObject(doc.rootfs) || !Array.isArray(doc.rootfs.diff_ids)) throw new ImageError('ErrImagePull', 'the image config has no rootfs.diff_ids');
  const diffIds = doc.rootfs.diff_ids.map((d, i) => {
    if (typeof d !== 'string') throw new ImageError('ErrImagePull', `the image config's rootfs.diff_ids[${i}] is not a digest`);
    validateDigest(d);
    return d;
  });
  return { ...(doc as unknown as ImageConfig), architecture: typeof doc.architecture === 'string' ? doc.architecture : '', os: typeof doc.os === 'string' ? doc.os : '', rootfs: { type: 'layers', diff_ids: diffIds } };
}

/** The platform this machine runs, in OCI's words (Node's `x64` is `amd64`). */
export function hostPlatform(): Platform {
  const arch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return { os: 'linux', architecture: arch[process.arch] ?? process.arch };
}

const describePlatform = (p: Platform | undefined): string => (p ? `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}` : 'no platform');

/**
 * The index entry for `want`: same os and architecture, and the variant when `want` names one (arm64 defaults to v8).
 * Attestation entries (`unknown/unknown`) never match. Throws naming the platforms the index does have.
 */
export function selectPlatform(index: ImageIndex, want: Platform): Descriptor {
  const variantOf = (p: Platform): string | undefined => p.variant ?? (p.architecture === 'arm64' ? 'v8' : undefined);
  const candidates = index.manifests.filter((m) => m.platform && m.platform.os === want.os && m.platform.architecture === want.architecture);
  const exact = want.variant === undefined ? candidates : candidates.filter((m) => variantOf(m.platform!) === variantOf(want));
  const chosen = exact[0];
  if (chosen) return chosen;
  const have = [...new Set(index.manifests.filter((m) => m.platform?.os !== 'unknown').map((m) => describePlatform(m.platform)))];
  throw new ImageError('ErrImagePull', `no matching manifest for ${describePlatform(want)} in the manifest list (it has ${have.join(', ') || 'no platforms'})`);
}
