// The one list of Floe's capabilities: `floe up` runs those marked embedded, `floe controllers` those marked cluster.
import type { Capability } from '../controller/index.js';
import { dashboardCapability, type DashboardOptions } from '../dashboard/capability.js';
import { appsCapability } from '../controllers/apps/capability.js';
import { batchCapability } from '../controllers/batch/capability.js';
import { katibCapability } from '../controllers/katib/capability.js';
import { notebooksCapability, type NotebooksCapabilityOptions } from '../controllers/notebooks/capability.js';
import { pipelinesCapability } from '../controllers/pipelines/capability.js';
import { profilesCapability } from '../controllers/profiles/capability.js';
import { servingCapability, servingClusterCapability } from '../controllers/serving/capability.js';
import { storageCapability } from '../controllers/storage/capability.js';
import { trainingCapability } from '../controllers/training/capability.js';
import { trainerCapability } from '../controllers/trainer/capability.js';

export interface CapabilitySettings {
  /** URL prefixes whose pipeline `package_url`s may be fetched. */
  allowPackageUrls: readonly string[];
  /** KFP multi-user mode (namespaced runs, experiments and pipelines; every call authorized); off unless set. */
  multiUser?: boolean;
  /** KFAM's cluster admins (`-cluster-admin`) besides those RBAC makes so. */
  clusterAdmins?: readonly string[];
  /** Notebook culling (ENABLE_CULLING, CULL_IDLE_TIME, IDLENESS_CHECK_PERIOD) and ADD_FSGROUP; culling off unless set. */
  notebooks?: NotebooksCapabilityOptions;
  /** The dashboard's options (on a cluster, how a session cookie's token is found for the forwarded Kubernetes API). */
  dashboard?: DashboardOptions;
}

/** Adding a capability is one line here. Order matters: admission runs in this order, and capabilities start in it. */
export function floeCapabilities(settings: CapabilitySettings): Capability[] {
  return [
    trainingCapability,
    batchCapability,
    trainerCapability,
    appsCapability,
    storageCapability(),
    katibCapability,
    servingCapability,
    servingClusterCapability,
    notebooksCapability(settings.notebooks ?? {}),
    profilesCapability({ ...(settings.clusterAdmins ? { clusterAdmins: settings.clusterAdmins } : {}) }),
    pipelinesCapability({ allowPackageUrls: settings.allowPackageUrls, multiUser: settings.multiUser === true }),
    dashboardCapability(settings.dashboard ?? {}),
  ];
}
