// Unit: the OCI config of a container run and the securityContext rules behind it (no runc needed).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AllCapabilities, capabilitySet, DefaultCapabilities, effectiveSecurity, hostsFile, nonRootViolation, ociSpec } from './oci-spec.js';
import { seccompProfile } from './seccomp.js';
import type { Pod } from './types.js';

function pod(spec: Record<string, unknown>, container: Record<string, unknown> = {}): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns', uid: 'u' }, spec: { ...spec, containers: [{ name: 'main', image: 'x', ...container }] } };
}

describe('OCI spec', () => {
  test("the container's securityContext wins over the Pod's for run-as fields; fsGroup and supplementalGroups are the Pod's", () => {
    const p = pod({ securityContext: { runAsUser: 1000, runAsGroup: 1000, runAsNonRoot: true, fsGroup: 2000, supplementalGroups: [3000] } }, { securityContext: { runAsUser: 1001, readOnlyRootFilesystem: true } });
    const s = effectiveSecurity(p, p.spec.containers[0]!);
    assert.deepEqual(s, { runAsUser: 1001, runAsGroup: 1000, runAsNonRoot: true, fsGroup: 2000, supplementalGroups: [3000], privileged: false, readOnlyRootFilesystem: true, capabilities: { add: [], drop: [] }, seccomp: { type: 'RuntimeDefault' } });
  });

  test('capabilities: the default set (no NET_RAW), drop ALL, add with or without CAP_, privileged gets all', () => {
    assert.ok(!DefaultCapabilities.includes('CAP_NET_RAW'));
    assert.deepEqual(capabilitySet({ privileged: false, capabilities: { add: [], drop: [] } }), [...DefaultCapabilities]);
    assert.deepEqual(capabilitySet({ privileged: false, capabilities: { add: ['NET_ADMIN', 'CAP_SYS_PTRACE'], drop: ['ALL'] } }), ['CAP_NET_ADMIN', 'CAP_SYS_PTRACE']);
    assert.ok(!capabilitySet({ privileged: false, capabilities: { add: [], drop: ['chown'] } }).includes('CAP_CHOWN'));
    assert.deepEqual(capabilitySet({ privileged: true, capabilities: { add: [], drop: ['ALL'] } }), [...AllCapabilities]);
  });

  test('runAsNonRoot in the words of the kubelet', () => {
    const base = { supplementalGroups: [], privileged: false, readOnlyRootFilesystem: false, capabilities: { add: [], drop: [] }, seccomp: { type: 'RuntimeDefault' as const } };
    assert.equal(nonRootViolation({ ...base }, undefined, 0, 'p_ns(u)', 'main'), undefined);
    assert.match(nonRootViolation({ ...base, runAsNonRoot: true }, undefined, 0, 'p_ns(u)', 'main') ?? '', /^container has runAsNonRoot and image will run as root \(pod: "p_ns\(u\)", container: main\)$/);
    assert.match(nonRootViolation({ ...base, runAsNonRoot: true }, 'app', 1000, 'p_ns(u)', 'main') ?? '', /image has non-numeric user \(app\), cannot verify user is non-root/);
    assert.equal(nonRootViolation({ ...base, runAsNonRoot: true }, '1000:1000', 1000, 'p_ns(u)', 'main'), undefined);
    assert.equal(nonRootViolation({ ...base, runAsNonRoot: true, runAsUser: 1000 }, 'root', 1000, 'p_ns(u)', 'main'), undefined);
    assert.match(nonRootViolation({ ...base, runAsNonRoot: true, runAsUser: 0 }, undefined, 0, 'p_ns(u)', 'main') ?? '', /runAsUser breaks non-root policy/);
  });

  test('namespaces without the network one, masked paths, no_new_privs, binds parents first, read-only where asked', () => {
    const security = effectiveSecurity(pod({}), { name: 'main' });
    const spec = ociSpec({
      argv: ['/app/run'],
      env: { PATH: '/bin', A: 'b=c' },
      cwd: '/app',
      user: { uid: 1000, gid: 1000, additionalGids: [5] },
      hostname: 'p',
      root: 'rootfs',
      security,
      binds: [
        { destination: '/data/sub', source: '/host/sub', readOnly: false },
        { destination: '/data', source: '/host/data', readOnly: true },
      ],
      cgroupsPath: 'floe/u/main.0/ctr',
    }) as { process: Record<string, unknown>; linux: { namespaces: { type: string }[]; maskedPaths?: string[]; cgroupsPath: string }; mounts: { destination: string; options?: string[] }[]; root: { readonly: boolean } };
    assert.deepEqual(spec.linux.namespaces.map((n) => n.type).sort(), ['ipc', 'mount', 'pid', 'uts']);
    assert.ok(spec.linux.maskedPaths?.includes('/proc/kcore'));
    assert.equal(spec.process.noNewPrivileges, true);
    assert.deepEqual(spec.process.env, ['PATH=/bin', 'A=b=c']);
    assert.deepEqual(spec.process.user, { uid: 1000, gid: 1000, additionalGids: [5] });
    const binds = spec.mounts.filter((m) => m.destination.startsWith('/data'));
    assert.deepEqual(binds.map((m) => [m.destination, m.options?.includes('ro')]), [['/data', true], ['/data/sub', false]]);
    assert.equal(spec.root.readonly, false);
    assert.equal(spec.linux.cgroupsPath, 'floe/u/main.0/ctr');
  });

  test("seccomp: RuntimeDefault unless asked; the container's profile over the Pod's; privileged is unconfined", () => {
    const choice = (podSc: object, sc: object): unknown => {
      const p = pod({ securityContext: podSc }, { securityContext: sc });
      return effectiveSecurity(p, p.spec.containers[0]!).seccomp;
    };
    assert.deepEqual(choice({}, {}), { type: 'RuntimeDefault' });
    assert.deepEqual(choice({ seccompProfile: { type: 'Unconfined' } }, {}), { type: 'Unconfined' });
    assert.deepEqual(choice({ seccompProfile: { type: 'Unconfined' } }, { seccompProfile: { type: 'Localhost', localhostProfile: 'p.json' } }), { type: 'Localhost', localhostProfile: 'p.json' });
    assert.deepEqual(choice({ seccompProfile: { type: 'RuntimeDefault' } }, { privileged: true }), { type: 'Unconfined' });
    const spec = (seccomp?: Record<string, unknown>): { linux: { seccomp?: { defaultAction: string; syscalls: { names: string[]; errnoRet: number }[] } } } =>
      ociSpec({ argv: ['/x'], env: {}, cwd: '/', user: { uid: 0, gid: 0, additionalGids: [] }, hostname: 'p', root: 'rootfs', security: effectiveSecurity(pod({}), { name: 'main' }), binds: [], cgroupsPath: 'c', ...(seccomp ? { seccomp } : {}) }) as never;
    const confined = spec(seccompProfile({ type: 'RuntimeDefault' }, '/nowhere'));
    assert.equal(confined.linux.seccomp?.defaultAction, 'SCMP_ACT_ALLOW');
    const eperm = confined.linux.seccomp?.syscalls.find((r) => r.errnoRet === 1)?.names ?? [];
    for (const call of ['mount', 'unshare', 'setns', 'ptrace', 'bpf', 'init_module', 'kexec_load', 'keyctl']) assert.ok(eperm.includes(call), call);
    assert.equal(spec(seccompProfile({ type: 'Unconfined' }, '/nowhere')).linux.seccomp, undefined);
  });

  test('seccomp: a Localhost profile is read below the profile folder, and a path out of it is refused', async () => {
    const root = await mkdtemp(join(tmpdir(), 'floe-seccomp-'));
    try {
      await writeFile(join(root, 'audit.json'), JSON.stringify({ defaultAction: 'SCMP_ACT_LOG', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['chmod'], action: 'SCMP_ACT_ERRNO' }], comment: 'dropped' }));
      assert.deepEqual(seccompProfile({ type: 'Localhost', localhostProfile: 'audit.json' }, root), { defaultAction: 'SCMP_ACT_LOG', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['chmod'], action: 'SCMP_ACT_ERRNO' }] });
      assert.throws(() => seccompProfile({ type: 'Localhost', localhostProfile: 'missing.json' }, root), /failed to load seccomp profile .*missing\.json: no such file/);
      assert.throws(() => seccompProfile({ type: 'Localhost', localhostProfile: '../../etc/passwd' }, root), /must be a path below/);
      assert.throws(() => seccompProfile({ type: 'Localhost', localhostProfile: '/etc/passwd' }, root), /must be a path below/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  test('/etc/hosts: loopback, the Pod, its hostAliases, Services by short name in its namespace and by <svc>.<ns>.svc everywhere', () => {
    const text = hostsFile({ hostname: 'worker-0', namespace: 'team', subdomain: 'job', hostAliases: [{ ip: '10.0.0.1', hostnames: ['db'] }], services: [{ namespace: 'team', name: 'job-master-0' }, { namespace: 'other', name: 'api' }, { namespace: 'team', name: 'Bad_Name' }] });
    assert.match(text, /^127\.0\.0\.1\tlocalhost$/m);
    assert.match(text, /^127\.0\.0\.1\tworker-0 worker-0\.job\.team\.svc\.cluster\.local worker-0\.job\.team\.svc$/m);
    assert.match(text, /^10\.0\.0\.1\tdb$/m);
    assert.match(text, /^127\.0\.0\.1\tjob-master-0 job-master-0\.team job-master-0\.team\.svc job-master-0\.team\.svc\.cluster\.local$/m);
    assert.match(text, /^127\.0\.0\.1\tapi\.other\.svc api\.other\.svc\.cluster\.local$/m);
    assert.doesNotMatch(text, /Bad_Name/);
  });
});
