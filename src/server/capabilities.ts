// The one list of Floe's capabilities: `floe up` runs those marked embedded, `floe controllers` those marked cluster.
import type { Capability } from '../controller/index.js';
import { appsCapability } from '../controllers/apps/capability.js';
import { batchCapability } from '../controllers/batch/capability.js';
import { katibCapability } from '../controllers/katib/capability.js';
import { pipelinesCapability } from '../controllers/pipelines/capability.js';
import { profilesCapability } from '../controllers/profiles/capability.js';
import { servingCapability } from '../controllers/serving/capability.js';
import { storageCapability } from '../controllers/storage/capability.js';
import { trainingCapability } from '../controllers/training/capability.js';

export interface CapabilitySettings {
  /** URL prefixes whose pipeline `package_url`s may be fetched. */
  allowPackageUrls: readonly string[];
  /** KFP multi-user mode (namespaced runs, experiments and pipelines; every call authorized); off unless set. */
  multiUser?: boolean;
  /** KFAM's cluster admins (`-cluster-admin`) besides those RBAC makes so. */
  clusterAdmins?: readonly string[];
}

/** Adding a capability is one line here. Order matters: admission runs in this order, and capabilities start in it. */
export function floeCapabilities(settings: CapabilitySettings): Capability[] {
  return [
    trainingCapability,
    batchCapability,
    appsCapability,
    storageCapability(),
    katibCapability,
    servingCapability,
    profilesCapability({ ...(settings.clusterAdmins ? { clusterAdmins: settings.clusterAdmins } : {}) }),
    pipelinesCapability({ allowPackageUrls: settings.allowPackageUrls, multiUser: settings.multiUser === true }),
  ];
}
