// The local runtime's public surface: the Kubelet, its configuration, and the annotations it reads and writes.
export { Kubelet, type KubeletOptions } from './kubelet.js';
export { defaultTiming, type ImageRule, type KubeletConfig, type KubeletTiming, type LocalEnvironment } from './config.js';
export type { LogOptions } from './logs.js';
export { HostPortsAnnotation } from './services.js';
export { HostPortAllocator, type HostPortAllocatorOptions } from './host-port-allocator.js';
export { GroupAnnotation, MinAvailableAnnotation } from './scheduling.js';
export { KubeletVersion } from './node.js';
export { volumeEnvName } from './volumes.js';
export type { AttachRequest, ExecExit, ExecRequest, ExecSession } from './exec.js';
export { RuntimeAnnotation } from './container-runtime.js';
export type { ContainerUsage, NodeUsage, PodUsage } from './usage.js';
