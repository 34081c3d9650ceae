// The images module: OCI image references, a distribution-API registry client, and the local content-addressed
// store the kubelet pulls into and builds container root filesystems from. Imports only `api`.
export { loadArchive, type LoadOptions } from './archive.js';
export { containerArgv, imageEnv, resolveImageUser, resolveInRoot, workingDir, type ContainerSpecPart, type ResolvedUser } from './container-config.js';
export { credentialsFor, parseDockerConfig, parsePullSecret, type CredentialEntry, type PullSecret, type RegistryCredential } from './credentials.js';
export { ImageError, type ImagePullReason } from './errors.js';
export { hostPlatform, MediaType, type ImageConfig, type ImageRuntimeConfig, type Platform } from './manifest.js';
export { canonicalName, defaultPullPolicy, familiarName, formatReference, normalizeReference, parseReference, type ImageReference } from './reference.js';
export { RegistryClient, usesPlainHttp, type RegistryClientOptions } from './registry-client.js';
export { type AssembleStats, type RootfsMode } from './rootfs.js';
export { ImageStore, type GcOptions, type GcResult, type ImageRecord, type ImageStoreOptions, type PullOptions, type PullPolicy, type PullProgress, type RootfsResult } from './store.js';
export { isOverlayLower, mountOverlay, mountTable, mountsUnder, overlayUnavailable, removeUnmounted, unmountUnder } from './mounts.js';
