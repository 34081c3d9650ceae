// The local-path provisioner for embedded mode: StorageClass `standard` (the default), the DefaultStorageClass
// admission step, one hostPath PersistentVolume per claim at the folder the local kubelet mounts for it, binding as the
// PV controller records it, and reclaim (Delete removes the folder, Retain leaves the volume Released).
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { FloeError } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import { PodRef, type Pod } from '../../api/core-v1.js';
import type { AdmissionPlugin, Manager, ReconcileContext, ReconcileResult, Reconciler, Request } from '../../controller/index.js';

export const StorageClassRef = { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass' } as const;
export const VolumeRef = { apiVersion: 'v1', kind: 'PersistentVolume' } as const;
export const ClaimRef = { apiVersion: 'v1', kind: 'PersistentVolumeClaim' } as const;

export const LocalPathProvisioner = 'floe.dev/local-path';
export const DefaultClassAnnotation = 'storageclass.kubernetes.io/is-default-class';
export const BetaDefaultClassAnnotation = 'storageclass.beta.kubernetes.io/is-default-class';
export const BindCompletedAnnotation = 'pv.kubernetes.io/bind-completed';
export const BoundByControllerAnnotation = 'pv.kubernetes.io/bound-by-controller';
export const ProvisionedByAnnotation = 'pv.kubernetes.io/provisioned-by';
export const StorageProvisionerAnnotation = 'volume.kubernetes.io/storage-provisioner';
export const BetaStorageProvisionerAnnotation = 'volume.beta.kubernetes.io/storage-provisioner';
export const ClaimProtectionFinalizer = 'kubernetes.io/pvc-protection';

export interface StorageClass extends KubeObject {
  provisioner: string;
  reclaimPolicy?: 'Delete' | 'Retain';
  volumeBindingMode?: string;
}

export interface Claim extends KubeObject {
  spec?: { storageClassName?: string | null; volumeName?: string; accessModes?: string[]; resources?: { requests?: Record<string, string> }; volumeMode?: string };
  status?: { phase?: string; accessModes?: string[]; capacity?: Record<string, string> };
}

export interface Volume extends KubeObject {
  spec?: {
    capacity?: Record<string, string>;
    accessModes?: string[];
    persistentVolumeReclaimPolicy?: 'Delete' | 'Retain' | 'Recycle';
    storageClassName?: string;
    volumeMode?: string;
    hostPath?: { path: string; type?: string };
    claimRef?: { apiVersion?: string; kind?: string; namespace?: string; name?: string; uid?: string; resourceVersion?: string };
  };
  status?: { phase?: string; message?: string; reason?: string };
}

/** The default object the storage capability installs: kind's `standard` class, provisioned by Floe on this machine. */
export function standardStorageClass(): StorageClass {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: 'standard', annotations: { [DefaultClassAnnotation]: 'true' } },
    provisioner: LocalPathProvisioner,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'Immediate',
  };
}

const isDefault = (c: StorageClass): boolean => c.metadata.annotations?.[DefaultClassAnnotation] === 'true' || c.metadata.annotations?.[BetaDefaultClassAnnotation] === 'true';

/** The classes marked default, newest first (kube picks the newest when several are, since 1.26). */
export class DefaultClasses {
  private names: string[] = [];

  set(classes: readonly StorageClass[]): void {
    this.names = classes
      .filter(isDefault)
      .sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '') || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))
      .map((c) => c.metadata.name ?? '');
  }

  get current(): string | undefined {
    return this.names[0];
  }
}

/**
 * kube-apiserver's DefaultStorageClass admission plug-in: a new claim with no `storageClassName` (absent or null, not
 * "") gets the default class. Only on create, as upstream.
 */
export function defaultStorageClassAdmission(defaults: DefaultClasses): AdmissionPlugin {
  return {
    handles: (type) => type.group === '' && type.kind === 'PersistentVolumeClaim',
    admit(object, old) {
      if (old) return;
      const claim = object as Claim;
      const spec = (claim.spec ??= {});
      if (spec.storageClassName !== undefined && spec.storageClassName !== null) return;
      if (claim.metadata.annotations?.['volume.beta.kubernetes.io/storage-class'] !== undefined) return;
      const name = defaults.current;
      if (name !== undefined) spec.storageClassName = name;
    },
  };
}

/** The folder of a claim: where the local kubelet mounts `persistentVolumeClaim` volumes (src/kubelet/volumes.ts). */
export function claimFolder(dataDir: string, namespace: string, claim: string): string {
  return join(dataDir, 'volumes', namespace, claim);
}

function inside(root: string, path: string): boolean {
  const r = resolve(root);
  const p = resolve(path);
  return p.startsWith(r + sep) && p !== r;
}

const notFound = (err: unknown): boolean => err instanceof FloeError && err.reason === 'NotFound';

async function getOrUndefined<T extends KubeObject>(ctx: ReconcileContext, ref: { apiVersion: string; kind: string }, name: string, namespace?: string): Promise<T | undefined> {
  try {
    return await ctx.client.get<T>(ref, name, namespace);
  } catch (err) {
    if (notFound(err)) return undefined;
    throw err;
  }
}

/** Whether a Pod that still runs (or may) mounts the claim. */
function claimInUse(pods: readonly Pod[], claim: string): boolean {
  return pods.some((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed' && (p.spec.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === claim));
}

/** Provisions and binds claims of classes this provisioner serves; keeps a claim in use by a Pod from going. */
export class ClaimReconciler implements Reconciler {
  constructor(private readonly options: { dataDir: string }) {}

  async reconcile(ctx: ReconcileContext, request: Request): Promise<ReconcileResult | void> {
    const claim = await getOrUndefined<Claim>(ctx, ClaimRef, request.name, request.namespace);
    if (!claim) return;
    const namespace = claim.metadata.namespace ?? '';
    const name = claim.metadata.name ?? '';
    if (claim.metadata.deletionTimestamp) {
      if (!claim.metadata.finalizers?.includes(ClaimProtectionFinalizer)) return;
      const pods = (await ctx.client.list<Pod>(PodRef, { namespace })).items;
      if (claimInUse(pods, name)) return;
      await ctx.client.update<Claim>({ ...claim, metadata: { ...claim.metadata, finalizers: claim.metadata.finalizers.filter((f) => f !== ClaimProtectionFinalizer) } });
      return;
    }
    if (claim.status?.phase === 'Bound') return;
    const className = claim.spec?.storageClassName;
    if (!className) return;
    const storageClass = await getOrUndefined<StorageClass>(ctx, StorageClassRef, className);
    if (!storageClass || storageClass.provisioner !== LocalPathProvisioner) return;

    const volumeName = claim.spec?.volumeName || `pvc-${claim.metadata.uid ?? ''}`;
    const path = claimFolder(this.options.dataDir, namespace, name);
    let volume = await getOrUndefined<Volume>(ctx, VolumeRef, volumeName);
    if (!volume) {
      // A Released volume of an earlier claim of this name still holds the folder (Retain): wait until it is deleted.
      const holders = (await ctx.client.list<Volume>(VolumeRef)).items.filter((v) => v.spec?.hostPath?.path === path && v.metadata.annotations?.[ProvisionedByAnnotation] === LocalPathProvisioner);
      if (holders.length > 0) {
        ctx.recorder.event(claim, 'Warning', 'ProvisioningFailed', `failed to provision volume with StorageClass "${className}": folder ${path} is still held by PersistentVolume "${holders[0]?.metadata.name ?? ''}" (reclaimPolicy Retain); delete that PersistentVolume to reuse the claim name`);
        return;
      }
      mkdirSync(path, { recursive: true, mode: 0o700 });
      chmodSync(path, 0o700);
      const storage = claim.spec?.resources?.requests?.storage ?? '1Gi';
      volume = await ctx.client.create<Volume>({
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name: volumeName, annotations: { [ProvisionedByAnnotation]: LocalPathProvisioner } },
        spec: {
          capacity: { storage },
          accessModes: claim.spec?.accessModes ?? ['ReadWriteOnce'],
          persistentVolumeReclaimPolicy: storageClass.reclaimPolicy ?? 'Delete',
          storageClassName: className,
          volumeMode: claim.spec?.volumeMode ?? 'Filesystem',
          hostPath: { path, type: 'DirectoryOrCreate' },
          claimRef: { kind: 'PersistentVolumeClaim', namespace, name, uid: claim.metadata.uid ?? '', apiVersion: 'v1', resourceVersion: claim.metadata.resourceVersion ?? '' },
        },
      });
      ctx.recorder.event(claim, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${volumeName}`);
    }
    if (volume.spec?.claimRef?.uid !== claim.metadata.uid) return;
    if (volume.status?.phase !== 'Bound') {
      volume = await ctx.client.updateStatus<Volume>({ ...volume, status: { phase: 'Bound' } });
    }
    const annotations = { ...(claim.metadata.annotations ?? {}), [BindCompletedAnnotation]: 'yes', [BoundByControllerAnnotation]: 'yes', [StorageProvisionerAnnotation]: LocalPathProvisioner, [BetaStorageProvisionerAnnotation]: LocalPathProvisioner };
    const finalizers = [...new Set([...(claim.metadata.finalizers ?? []), ClaimProtectionFinalizer])];
    const bound = await ctx.client.update<Claim>({ ...claim, metadata: { ...claim.metadata, annotations, finalizers }, spec: { ...(claim.spec ?? {}), volumeName } });
    await ctx.client.updateStatus<Claim>({ ...bound, status: { phase: 'Bound', accessModes: volume.spec?.accessModes ?? [], capacity: volume.spec?.capacity ?? {} } });
  }
}

/** Releases volumes whose claim is gone; reclaims them as their policy says (Delete: folder and object go). */
export class VolumeReconciler implements Reconciler {
  constructor(private readonly options: { dataDir: string }) {}

  async reconcile(ctx: ReconcileContext, request: Request): Promise<ReconcileResult | void> {
    const volume = await getOrUndefined<Volume>(ctx, VolumeRef, request.name);
    if (!volume || volume.metadata.deletionTimestamp) return;
    const ref = volume.spec?.claimRef;
    if (!ref?.name) return;
    const claim = await getOrUndefined<Claim>(ctx, ClaimRef, ref.name, ref.namespace);
    if (claim && (!ref.uid || claim.metadata.uid === ref.uid)) return;
    if (volume.metadata.annotations?.[ProvisionedByAnnotation] !== LocalPathProvisioner) {
      if (volume.status?.phase === 'Bound') await ctx.client.updateStatus<Volume>({ ...volume, status: { phase: 'Released' } });
      return;
    }
    if (volume.spec?.persistentVolumeReclaimPolicy === 'Delete') {
      const path = volume.spec.hostPath?.path;
      if (path && inside(join(this.options.dataDir, 'volumes'), path)) rmSync(path, { recursive: true, force: true });
      try {
        await ctx.client.delete(VolumeRef, volume.metadata.name ?? '');
      } catch (err) {
        if (!notFound(err)) throw err;
      }
      return;
    }
    if (volume.status?.phase !== 'Released') await ctx.client.updateStatus<Volume>({ ...volume, status: { phase: 'Released' } });
  }
}

/** The provisioner's controllers: claims (and Pods, for claim protection), volumes, and the default-class cache. */
export function addLocalPathControllers(manager: Manager, options: { dataDir: string; defaults: DefaultClasses }): void {
  const claimsOfPod = (pod: Pod): Request[] =>
    (pod.spec.volumes ?? []).flatMap((v) => (v.persistentVolumeClaim ? [{ namespace: pod.metadata.namespace ?? '', name: v.persistentVolumeClaim.claimName }] : []));
  manager
    .controller('persistentvolume-binder-controller')
    .for(ClaimRef)
    .watches<Pod>(PodRef, claimsOfPod)
    .complete(new ClaimReconciler(options));
  manager
    .controller('persistentvolume-reclaim-controller')
    .for(VolumeRef, { namespace: '' })
    .watches<Claim>(ClaimRef, (c) => (c.spec?.volumeName ? [{ namespace: '', name: c.spec.volumeName }] : []))
    .complete(new VolumeReconciler(options));
  manager
    .controller('default-storage-class')
    .for(StorageClassRef, { namespace: '' })
    .complete(async (ctx) => {
      options.defaults.set((await ctx.client.list<StorageClass>(StorageClassRef)).items);
    });
}
