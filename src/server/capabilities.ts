// The one list of Floe's capabilities: `floe up` runs those marked embedded, `floe controllers` those marked cluster.
import type { Capability } from '../controller/index.js';
import { batchCapability } from '../controllers/batch/capability.js';
import { katibCapability } from '../controllers/katib/capability.js';
import { pipelinesCapability } from '../controllers/pipelines/capability.js';
import { servingCapability } from '../controllers/serving/capability.js';
import { trainingCapability } from '../controllers/training/capability.js';

export interface CapabilitySettings {
  /** URL prefixes whose pipeline `package_url`s may be fetched. */
  allowPackageUrls: readonly string[];
}

/** Adding a capability is one line here. Order matters: admission runs in this order, and capabilities start in it. */
export function floeCapabilities(settings: CapabilitySettings): Capability[] {
  return [
    trainingCapability,
    batchCapability,
    katibCapability,
    servingCapability,
    pipelinesCapability({ allowPackageUrls: settings.allowPackageUrls }),
  ];
}
