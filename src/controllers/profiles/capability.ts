// Kubeflow Profiles as a Floe capability: the Profile CRD, the profile controller and KFAM (/kfam/), embedded and on a cluster.
import type { Client, KindRef } from '../../client/client.js';
import type { Capability } from '../../controller/index.js';
import { subjectAccessReviewer } from './access.js';
import { profileCrds } from './crds.js';
import { kfamRoute } from './kfam.js';
import { addProfileController } from './profile-controller.js';
import { ResourceQuotaRef, RoleBindingRef } from './types.js';

export interface ProfilesCapabilityOptions {
  /** KFAM's `-cluster-admin` list. */
  clusterAdmins?: readonly string[];
  /** The namespace-labels file's content; Kubeflow's `kubeflow` overlay unless given. */
  namespaceLabels?: Readonly<Record<string, string>>;
}

/** Whether the API serves a kind (RBAC and ResourceQuota may be missing from an older Floe or a trimmed cluster). */
async function served(client: Client, ref: KindRef): Promise<boolean> {
  try {
    await client.list(ref, { limit: 1 });
    return true;
  } catch {
    return false;
  }
}

export function profilesCapability(options: ProfilesCapabilityOptions = {}): Capability {
  return {
    name: 'profiles',
    modes: ['embedded', 'cluster'],
    crds: profileCrds,
    async start(ctx) {
      const rbac = await served(ctx.client, RoleBindingRef);
      const quota = await served(ctx.client, ResourceQuotaRef);
      if (!rbac) ctx.logger.warn({}, 'rbac.authorization.k8s.io/v1 RoleBindings are not served: profiles get no namespaceAdmin/default-editor bindings and KFAM cannot add contributors');
      if (!quota) ctx.logger.warn({}, 'v1 ResourceQuotas are not served: profiles\' resourceQuotaSpec is not applied');
      addProfileController(ctx.manager, { rbac, quota, ...(options.namespaceLabels ? { namespaceLabels: options.namespaceLabels } : {}) });
      return { routes: [kfamRoute({ client: ctx.client, review: subjectAccessReviewer(ctx.client), ...(options.clusterAdmins ? { clusterAdmins: options.clusterAdmins } : {}) })] };
    },
  };
}
