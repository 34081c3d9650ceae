// KFAM, Kubeflow's access-management API (kubeflow/dashboard components/access-management), under /kfam/ on Floe's one
// listener: contributors are RoleBindings annotated `user` and `role` in a profile's namespace. The caller is the one
// Floe authenticated (upstream reads the kubeflow-userid header behind Istio). Where upstream checks nothing (listing
// bindings, creating profiles) Floe narrows what a non-admin may do (docs/compatibility.md, "Profiles and KFAM").
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FloeError } from '../../api/errors.js';
import type { Client } from '../../client/client.js';
import type { Caller, Route } from '../../controller/index.js';
import type { AccessReviewer } from './access.js';
import { kfamRoles, ProfileRef, RoleBindingRef, type Profile, type RoleBinding, type Subject } from './types.js';

export const KfamPrefix = '/kfam/';
const RbacGroup = 'rbac.authorization.k8s.io';
const MaxBody = 1024 * 1024;

/** The Binding JSON of KFAM's API; note the capitalised `RoleRef` key (Go tag `json:"RoleRef"`). */
export interface KfamBinding {
  user?: Subject;
  referredNamespace?: string;
  RoleRef?: { kind?: string; name?: string; apiGroup?: string };
  status?: string;
}

export interface KfamOptions {
  client: Client;
  review: AccessReviewer;
  /** Upstream's `-cluster-admin` list: users KFAM treats as cluster admins besides those RBAC makes so. */
  clusterAdmins?: readonly string[];
}

const roleNames: Record<string, string> = { ...Object.fromEntries(Object.entries(kfamRoles).map(([k, v]) => [v, k])), ...kfamRoles };

/** Upstream's binding name: `<kind>-<user>-<roleRef kind>-<roleRef name>`, lower-case, every non-alphanumeric run as `-`. */
export function kfamBindingName(binding: KfamBinding): string {
  const nonAlnum = /[^a-zA-Z0-9]+/g;
  const raw = [binding.user?.kind ?? '', encodeURIComponent((binding.user?.name ?? '').replace(nonAlnum, '-')), binding.RoleRef?.kind ?? '', binding.RoleRef?.name ?? ''].join('-').toLowerCase();
  return raw.replace(nonAlnum, '-');
}

class KfamStatus extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

export function kfamRoute(options: KfamOptions): Route {
  const { client, review } = options;
  const admins = new Set((options.clusterAdmins ?? []).map((a) => a.trim()).filter(Boolean));

  /** A cluster admin: in the `-cluster-admin` list, or allowed every verb on every resource by RBAC (cluster-admin). */
  async function isClusterAdmin(user: string, groups: string[] = []): Promise<boolean> {
    if (!user) return false;
    if (admins.has(user) || groups.includes('system:masters')) return true;
    const decision = await review({ name: user, groups }, { verb: '*', group: '*', resource: '*' });
    return decision.allowed;
  }

  async function profile(name: string): Promise<Profile | undefined> {
    try {
      return await client.get<Profile>(ProfileRef, name);
    } catch (err) {
      if (err instanceof FloeError && err.reason === 'NotFound') return undefined;
      throw err;
    }
  }

  async function isOwnerOrAdmin(caller: Caller, namespace: string): Promise<boolean> {
    if (!namespace) return false;
    const p = await profile(namespace);
    if (!p) return false;
    return p.spec?.owner?.name === caller.name || (await isClusterAdmin(caller.name, caller.groups));
  }

  async function listBindings(user: string, namespaces: string[], role: string): Promise<KfamBinding[]> {
    const out: KfamBinding[] = [];
    for (const ns of namespaces) {
      const list = await client.list<RoleBinding>(RoleBindingRef, { namespace: ns });
      for (const rb of list.items) {
        const userVal = rb.metadata.annotations?.user;
        const roleVal = rb.metadata.annotations?.role;
        if (userVal === undefined || (user && user !== userVal)) continue;
        if (roleVal === undefined || (role && role !== roleVal)) continue;
        if ((rb.subjects ?? []).length !== 1) throw new KfamStatus(401, `binding subject length not equal to 1, actual length: ${(rb.subjects ?? []).length}`);
        const s = rb.subjects![0]!;
        out.push({ user: { kind: s.kind, name: s.name }, referredNamespace: ns, RoleRef: { kind: rb.roleRef.kind, name: roleNames[rb.roleRef.name] ?? '' } });
      }
    }
    return out;
  }

  async function readBinding(req: IncomingMessage): Promise<KfamBinding> {
    const value = await readJson(req);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new KfamStatus(403, 'json: cannot unmarshal into Go value of type kfam.Binding');
    return value;
  }

  function checkBinding(b: KfamBinding): void {
    if (!b.user?.name || !b.user.kind) throw new KfamStatus(403, 'binding.user: kind and name are required');
    if (!b.referredNamespace) throw new KfamStatus(403, 'binding.referredNamespace: required');
    if (!b.RoleRef?.name || !(b.RoleRef.name in kfamRoles)) throw new KfamStatus(403, `binding.RoleRef.name: must be admin, edit or view, not ${JSON.stringify(b.RoleRef?.name ?? '')}`);
    if (b.RoleRef.kind !== 'ClusterRole') throw new KfamStatus(403, `binding.RoleRef.kind: must be ClusterRole, not ${JSON.stringify(b.RoleRef.kind ?? '')}`);
  }

  async function serve(req: IncomingMessage, res: ServerResponse, url: URL, caller: Caller): Promise<boolean> {
    const path = url.pathname.replace(/\/+$/, '');
    const method = req.method ?? 'GET';
    const q = url.searchParams;
    if (path === '/kfam' && method === 'GET') return reply(res, 200, 'Hello World!', 'text/plain; charset=utf-8');
    if (path === '/kfam/v1/bindings') {
      if (method === 'GET') {
        const admin = await isClusterAdmin(caller.name, caller.groups);
        const namespace = q.get('namespace') ?? '';
        const namespaces = namespace ? [namespace] : (await client.list<Profile>(ProfileRef)).items.map((p) => p.metadata.name!);
        let bindings = await listBindings(q.get('user') ?? '', namespaces, q.get('role') ?? '');
        if (!admin) {
          // Floe: a non-admin sees the bindings of the namespaces it is itself bound in (its own, and their co-contributors).
          const mine = new Set((await listBindings(caller.name, namespaces, '')).map((b) => b.referredNamespace));
          bindings = bindings.filter((b) => mine.has(b.referredNamespace));
        }
        return reply(res, 200, JSON.stringify({ bindings }));
      }
      if (method === 'POST' || method === 'DELETE') {
        const binding = await readBinding(req);
        if (!(await isOwnerOrAdmin(caller, binding.referredNamespace ?? ''))) return reply(res, 403, '');
        checkBinding(binding);
        const name = kfamBindingName(binding);
        const ns = binding.referredNamespace!;
        if (method === 'POST') {
          const subject: Subject = { kind: binding.user!.kind, name: binding.user!.name, ...(binding.user!.namespace ? { namespace: binding.user!.namespace } : {}) };
          subject.apiGroup = binding.user!.apiGroup ?? (subject.kind === 'ServiceAccount' ? '' : RbacGroup);
          if (subject.apiGroup === '') delete subject.apiGroup;
          const rb: RoleBinding = {
            apiVersion: `${RbacGroup}/v1`,
            kind: 'RoleBinding',
            metadata: { name, namespace: ns, annotations: { user: binding.user!.name, role: binding.RoleRef!.name! } },
            roleRef: { apiGroup: binding.RoleRef!.apiGroup || RbacGroup, kind: binding.RoleRef!.kind!, name: kfamRoles[binding.RoleRef!.name!]! },
            subjects: [subject],
          };
          await client.create(rb).catch((err: unknown) => {
            throw new KfamStatus(403, err instanceof Error ? err.message : String(err));
          });
        } else {
          await client.delete(RoleBindingRef, name, ns).catch((err: unknown) => {
            throw new KfamStatus(403, err instanceof Error ? err.message : String(err));
          });
        }
        return reply(res, 200, '');
      }
    }
    if (path === '/kfam/v1/role/clusteradmin' && method === 'GET') {
      return reply(res, 200, String(await isClusterAdmin(q.get('user') ?? '')));
    }
    if (path === '/kfam/v1/profiles' && method === 'POST') {
      const body = (await readJson(req)) as Profile;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new KfamStatus(403, 'json: cannot unmarshal into Go value of type v1beta1.Profile');
      // Floe: anyone may register a profile for themselves (the dashboard's registration flow); only an admin for others.
      const owner = body.spec?.owner;
      if ((owner?.kind !== 'User' || owner.name !== caller.name) && !(await isClusterAdmin(caller.name, caller.groups))) {
        throw new KfamStatus(403, `profiles.kubeflow.org "${body.metadata?.name ?? ''}" is forbidden: User "${caller.name}" may only create a profile it owns`);
      }
      const p: Profile = { ...body, apiVersion: body.apiVersion ?? 'kubeflow.org/v1beta1', kind: 'Profile', metadata: { ...(body.metadata ?? {}) } };
      await client.create(p).catch((err: unknown) => {
        throw new KfamStatus(403, err instanceof Error ? err.message : String(err));
      });
      return reply(res, 200, '');
    }
    const del = /^\/kfam\/v1\/profiles\/([^/]+)$/.exec(path);
    if (del && method === 'DELETE') {
      const name = decodeURIComponent(del[1]!);
      if (!(await isOwnerOrAdmin(caller, name))) return reply(res, 401, '');
      await client.delete(ProfileRef, name).catch((err: unknown) => {
        throw new KfamStatus(401, err instanceof Error ? err.message : String(err));
      });
      return reply(res, 200, '');
    }
    return false;
  }

  return {
    prefix: KfamPrefix,
    access: { kind: 'in-handler', why: 'KFAM checks the caller itself: profile owner or cluster admin for writes, bound namespaces for reads' },
    bodyTypes: ['application/json'],
    handle: async (req, res, url, caller) => {
      try {
        return await serve(req, res, url, caller);
      } catch (err) {
        if (err instanceof KfamStatus) return reply(res, err.code, err.message, 'text/plain; charset=utf-8');
        throw err;
      }
    },
  };
}

function reply(res: ServerResponse, code: number, body: string, type = 'application/json; charset=UTF-8'): true {
  res.writeHead(code, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
  return true;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MaxBody) throw new KfamStatus(403, `the request body is larger than ${MaxBody} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null') as unknown;
  } catch (err) {
    throw new KfamStatus(403, (err as Error).message);
  }
}
