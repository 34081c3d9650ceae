// The real kubectl reads metrics.k8s.io from a running `floe up`: `kubectl top pods/nodes`, --containers, -A, -l, and the raw objects.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { kubectl, kubectlOk, removeDir, type RunningFloe, startFloeProcess, waitFor } from './harness.js';

let floe: RunningFloe;
before(async () => { floe = await startFloeProcess(); });
after(async () => {
  await floe.stop();
  removeDir(floe.dataDir);
});

const ok = (args: string[], input?: string): Promise<string> => kubectlOk(floe, args, input);

/** Millicores of a `kubectl top` CPU cell ("250m", "1"). */
function millicores(cell: string): number {
  return cell.endsWith('m') ? Number(cell.slice(0, -1)) : Number(cell) * 1000;
}

/** MiB of a `kubectl top` MEMORY cell ("70Mi"). */
function mebibytes(cell: string): number {
  return cell.endsWith('Mi') ? Number(cell.slice(0, -2)) : cell.endsWith('Gi') ? Number(cell.slice(0, -2)) * 1024 : Number(cell) / 2 ** 20;
}

/** The rows of a `kubectl top` table, split on runs of spaces, without the header. */
function rows(table: string): string[][] {
  return table.trim().split('\n').slice(1).map((line) => line.trim().split(/\s+/));
}

const ns = 'top-e2e';
const spin = `const keep = Buffer.alloc(48 * 1024 * 1024, 1); for (;;) { keep[0]++; }`;

const pods = `
apiVersion: v1
kind: Pod
metadata: {name: busy, namespace: ${ns}, labels: {app: spin}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: spin, image: node:20, command: ["${process.execPath}", "-e", "${spin}"]}
  - {name: nap, image: busybox, command: ["sleep", "3600"]}
---
apiVersion: v1
kind: Pod
metadata: {name: quiet, namespace: ${ns}, labels: {app: quiet}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: nap, image: busybox, command: ["sleep", "3600"]}
`;

describe('kubectl top against Floe', () => {
  before(async () => {
    await ok(['create', 'namespace', ns]);
    await ok(['apply', '-f', '-'], pods);
    await ok(['wait', '--for=condition=Ready', 'pod/busy', 'pod/quiet', '-n', ns, '--timeout=60s']);
  });

  test('kubectl top pods: the busy Pod uses CPU and its memory, the quiet one next to none', async () => {
    const table = await waitFor(async () => {
      const r = await kubectl(floe, ['top', 'pods', '-n', ns]);
      const found = r.code === 0 ? rows(r.stdout) : [];
      const busy = found.find((row) => row[0] === 'busy');
      return busy && found.some((row) => row[0] === 'quiet') && millicores(busy[1]!) >= 50 ? r.stdout : undefined;
    }, { what: 'kubectl top pods to show busy using CPU', timeoutMs: 60_000, intervalMs: 1000 });
    assert.match(table.split('\n')[0]!, /^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)/);
    const byName = new Map(rows(table).map((row) => [row[0]!, row]));
    assert.ok(mebibytes(byName.get('busy')![2]!) >= 48, table);
    assert.ok(millicores(byName.get('quiet')![1]!) < 50, table);
  });

  test('kubectl top pods -A lists every namespace; -l filters by the Pods\' labels', async () => {
    const all = await ok(['top', 'pods', '-A']);
    assert.match(all.split('\n')[0]!, /^NAMESPACE\s+NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)/);
    assert.ok(rows(all).some((row) => row[0] === ns && row[1] === 'busy'), all);
    const selected = rows(await ok(['top', 'pods', '-n', ns, '-l', 'app=spin']));
    assert.deepEqual(selected.map((row) => row[0]), ['busy']);
  });

  test('kubectl top pod X --containers: one row per container', async () => {
    const table = await ok(['top', 'pod', 'busy', '-n', ns, '--containers']);
    assert.match(table.split('\n')[0]!, /^POD\s+NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)/);
    const containers = new Map(rows(table).map((row) => [row[1]!, row]));
    assert.deepEqual([...containers.keys()].sort(), ['nap', 'spin']);
    assert.ok(millicores(containers.get('spin')![2]!) > millicores(containers.get('nap')![2]!), table);
  });

  test('kubectl top nodes: the node with CPU and memory, and percentages of its allocatable', async () => {
    const node = (await ok(['get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
    const table = await ok(['top', 'nodes']);
    assert.match(table.split('\n')[0]!, /^NAME\s+CPU\(cores\)\s+CPU(\(%\)|%)\s+MEMORY\(bytes\)\s+MEMORY(\(%\)|%)/);
    const row = rows(table).find((r) => r[0] === node);
    assert.ok(row, table);
    assert.ok(millicores(row[1]!) >= 50, table);
    assert.match(row[2]!, /^\d+%$/);
    assert.ok(mebibytes(row[3]!) > 48, table);
  });

  test('the objects are metrics-server\'s: PodMetrics with window and per-container usage, served for get and list only', async () => {
    const pod = JSON.parse(await ok(['get', '--raw', `/apis/metrics.k8s.io/v1beta1/namespaces/${ns}/pods/busy`])) as {
      kind: string;
      apiVersion: string;
      metadata: { labels?: Record<string, string> };
      timestamp: string;
      window: string;
      containers: { name: string; usage: { cpu: string; memory: string } }[];
    };
    assert.equal(pod.kind, 'PodMetrics');
    assert.equal(pod.apiVersion, 'metrics.k8s.io/v1beta1');
    assert.deepEqual(pod.metadata.labels, { app: 'spin' });
    assert.match(pod.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(pod.window, /^(\d+m)?\d+(\.\d+)?s$/);
    for (const c of pod.containers) {
      assert.match(c.usage.cpu, /^\d+[num]?$/);
      assert.match(c.usage.memory, /^\d+(Ki|Mi|Gi)?$/);
    }
    const resources = await ok(['api-resources', '--api-group=metrics.k8s.io', '-o', 'wide']);
    assert.match(resources, /^nodes\s+metrics\.k8s\.io\/v1beta1\s+false\s+NodeMetrics\s+get,list/m);
    assert.match(resources, /^pods\s+metrics\.k8s\.io\/v1beta1\s+true\s+PodMetrics\s+get,list/m);
    const table = await ok(['get', 'podmetrics.metrics.k8s.io', '-n', ns]);
    assert.match(table.split('\n')[0]!, /^NAME\s+CPU\s+MEMORY\s+WINDOW\s+AGE/);
    assert.match(table, /^busy\s+\d+[num]?\s+\d+(Ki|Mi)\s+\S+s\s+/m);
    const missing = await kubectl(floe, ['get', '--raw', `/apis/metrics.k8s.io/v1beta1/namespaces/${ns}/pods/nope`]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /podmetrics\.metrics\.k8s\.io "top-e2e\/nope" not found/);
  });
});
