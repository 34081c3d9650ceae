// Integration: the usage reader behind metrics.k8s.io — a busy Pod shows CPU, an idle one does not, in cgroups and through /proc.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../../test/helpers/wait.js';
import { type Harness, nodeCommand, podManifest, podRunning, startHarness } from '../../test/helpers/kubelet-harness.js';
import { Cgroups } from './cgroups.js';
import { PodPaths, readContainerRecords } from './pod-state.js';
import { readNodeUsage, readRunUsage, type PodUsage } from './usage.js';

const cgroups = Cgroups.detect();
/** A busy loop that also keeps 64 MiB resident, so memory is visibly more than an idle process's. */
const busy = nodeCommand('const keep = Buffer.alloc(64 * 1024 * 1024, 1); for (;;) { keep[0]++; }');
const idle = ['sleep', '3600'];

async function usageOf(h: Harness, namespace: string, name: string, ok: (p: PodUsage) => boolean): Promise<PodUsage> {
  return waitFor(
    () => {
      const pod = h.kubelet.usage()?.pods.find((p) => p.namespace === namespace && p.name === name);
      return pod && ok(pod) ? pod : undefined;
    },
    { what: `usage of ${namespace}/${name}`, timeoutMs: 30_000, intervalMs: 250 },
  );
}

function runsOf(h: Harness, uid: string): { cgroups: string[]; pgid: number }[] {
  return [...readContainerRecords(new PodPaths({ dataDir: h.config.dataDir, uid })).values()].flatMap((r) => (r.running?.pid !== undefined ? [{ cgroups: r.running.cgroups ?? [], pgid: r.running.pid }] : []));
}

function describeMode(mode: 'auto' | 'off'): void {
  const skip = mode === 'auto' && !cgroups.status.cpu ? `this machine has no usable cpu cgroup controller (${cgroups.status.notes.join('; ') || cgroups.status.layout})` : false;
  if (skip) process.stderr.write(`[usage.test] cgroup case skipped: ${skip}\n`);
  describe(`container usage with cgroups ${mode}`, { skip }, () => {
    let h: Harness;
    let ns: string;
    before(async () => {
      h = await startHarness({ config: { cgroups: mode } });
      ns = await h.namespace(`usage-${mode}`);
    });
    after(async () => h?.stop());

    test('a busy loop shows CPU over the window and its memory working set; an idle process shows next to no CPU', async () => {
      await h.client.create(podManifest(ns, 'busy', [{ name: 'spin', command: busy }], {}, { labels: { app: 'spin' } }));
      await h.client.create(podManifest(ns, 'idle', [{ name: 'nap', command: idle }]));
      const pod = await podRunning(h.client, ns, 'busy', 60_000);
      await podRunning(h.client, ns, 'idle', 60_000);
      const usage = await usageOf(h, ns, 'busy', (p) => (p.containers[0]?.cpuNanoCores ?? 0) > 50_000_000);
      assert.deepEqual(usage.labels, { app: 'spin' });
      assert.equal(usage.uid, pod.metadata.uid);
      assert.equal(usage.containers.length, 1);
      const spin = usage.containers[0]!;
      assert.equal(spin.name, 'spin');
      // One thread spinning: at most the machine's cores (plus rounding), and the 64 MiB it keeps resident.
      assert.ok(spin.cpuNanoCores <= (await import('node:os')).availableParallelism() * 1.1e9, `cpu ${spin.cpuNanoCores}`);
      assert.ok(spin.memoryWorkingSetBytes >= 64 * 1024 * 1024, `memory ${spin.memoryWorkingSetBytes}`);
      assert.ok(usage.windowSeconds >= 1, `window ${usage.windowSeconds}`);
      assert.ok(Date.now() - Date.parse(usage.timestamp) < 60_000);
      // Where the numbers come from: the run's cgroups when it has them, else its process group in /proc.
      const runs = runsOf(h, pod.metadata.uid ?? '');
      assert.equal(runs.length, 1);
      assert.equal(runs[0]!.cgroups.length > 0, mode === 'auto');
      const raw = readRunUsage([{ container: 'spin', attempt: 0, ...runs[0]! }])[0];
      assert.equal(raw?.source, mode === 'auto' ? 'cgroup' : 'proc');
      const nap = await usageOf(h, ns, 'idle', () => true);
      assert.ok(nap.containers[0]!.cpuNanoCores < 50_000_000, `idle cpu ${nap.containers[0]!.cpuNanoCores}`);
      assert.ok(nap.containers[0]!.memoryWorkingSetBytes < spin.memoryWorkingSetBytes);
    });

    test('the node reports the whole machine: at least the busy Pod\'s CPU, and memory in use', async () => {
      const node = await waitFor(() => {
        const u = h.kubelet.usage();
        const spin = u?.pods.find((p) => p.namespace === ns && p.name === 'busy')?.containers[0]?.cpuNanoCores ?? 0;
        return u && spin > 0 && u.cpuNanoCores >= spin * 0.5 ? u : undefined;
      }, { what: 'node usage', timeoutMs: 30_000, intervalMs: 250 });
      assert.equal(node.name, h.config.nodeName);
      assert.ok(node.memoryWorkingSetBytes > 64 * 1024 * 1024);
      const raw = readNodeUsage();
      assert.ok(raw && raw.cpuSeconds > 0 && raw.memoryWorkingSetBytes > 0);
    });

    test('a deleted Pod leaves the report', async () => {
      await h.client.delete({ apiVersion: 'v1', kind: 'Pod' }, 'idle', ns, { gracePeriodSeconds: 0 });
      await waitFor(() => !h.kubelet.usage()?.pods.some((p) => p.namespace === ns && p.name === 'idle'), { what: 'idle to leave the report', timeoutMs: 30_000, intervalMs: 250 });
    });
  });
}

describeMode('auto');
describeMode('off');
