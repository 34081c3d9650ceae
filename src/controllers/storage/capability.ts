// The `storage` capability, embedded only: StorageClass `standard` (default), the DefaultStorageClass admission step and
// the local-path provisioner. A cluster has its own provisioners.
import type { Capability } from '../../controller/index.js';
import { DefaultClasses, StorageClassRef, addLocalPathControllers, defaultStorageClassAdmission, standardStorageClass, type StorageClass } from './local-path.js';

/** Built per Floe: the admission step reads the default class the capability's controller keeps up to date. */
export function storageCapability(): Capability {
  const defaults = new DefaultClasses();
  return {
    name: 'storage',
    modes: ['embedded'],
    defaults: () => [standardStorageClass()],
    admission: [defaultStorageClassAdmission(defaults)],
    async start(ctx) {
      defaults.set((await ctx.client.list<StorageClass>(StorageClassRef)).items);
      addLocalPathControllers(ctx.manager, { dataDir: ctx.dataDir, defaults });
      return {};
    },
  };
}
