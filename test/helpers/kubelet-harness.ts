// Test support: a real Floe on port 0 in a temp dir with a Kubelet on its client, and cleanup that leaves no process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../../src/api/meta.js';
import type { Client } from '../../src/client/client.js';
import { defaultConfig } from '../../src/server/config.js';
import { startFloe, type Floe } from '../../src/server/floe.js';
import { createLogger } from '../../src/server/logger.js';
import type { KubeletConfig, KubeletTiming } from '../../src/kubelet/config.js';
import { Kubelet } from '../../src/kubelet/kubelet.js';
import { PodPaths, podDirectories, readContainerRecords } from '../../src/kubelet/pod-state.js';
import { isAlive, signalGroup } from '../../src/kubelet/proc.js';
import { Cgroups, recordedCgroups } from '../../src/kubelet/cgroups.js';
import { removePodCgroupFolders } from '../../src/kubelet/container-runtime.js';
import { PodRef, type Pod, type PodSpec } from '../../src/kubelet/types.js';
import { FloeError } from '../../src/api/errors.js';
import { waitFor } from './wait.js';

/** Fast intervals for tests: crash-loop back-off of 200 ms doubling to 800 ms. */
export const testTiming: Partial<KubeletTiming> = { heartbeatMs: 1000, pollMs: 50, crashLoopInitialMs: 200, crashLoopMaxMs: 800, resyncMs: 1000, configRetryMs: 200 };

export interface Harness {
  floe: Floe;
  client: Client;
  /** Replaceable, for tests that restart the Kubelet; `stop` stops whichever is current. */
  kubelet: Kubelet;
  config: KubeletConfig;
  dataDir: string;
  /** A fresh namespace for one test. */
  namespace(hint: string): Promise<string>;
  stop(): Promise<void>;
}

let namespaces = 0;

export function testConfig(dataDir: string, overrides: Partial<KubeletConfig> = {}): KubeletConfig {
  return { nodeName: 'floe-test', dataDir: join(dataDir, 'kubelet'), labels: {}, taints: [], cpu: 4, memoryBytes: 8 * 2 ** 30, gpus: 0, images: [], ...overrides };
}

export async function startHarness(options: { config?: Partial<KubeletConfig>; timing?: Partial<KubeletTiming> } = {}): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'floe-kubelet-'));
  const logger = createLogger({ level: 'silent' });
  // runPods: false — this Kubelet is wired here, with test timing, instead of the one startFloe would start.
  const floe = await startFloe({ ...defaultConfig(), dataDir, port: 0, logLevel: 'silent', runPods: false }, logger);
  const config = testConfig(dataDir, options.config);
  const kubelet = new Kubelet({ client: floe.client, config, logger, timing: { ...testTiming, ...(options.timing ?? {}) } });
  await kubelet.start();
  const harness: Harness = {
    floe,
    client: floe.client,
    kubelet,
    config,
    dataDir,
    async namespace(hint) {
      namespaces += 1;
      const name = `${hint}-${process.pid}-${namespaces}`.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 63);
      await floe.client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      return name;
    },
    async stop() {
      await harness.kubelet.stop();
      await floe.stop();
      // Also Floe's own data dir, in case a Kubelet wired by startFloe ran Pods there.
      for (const dir of [config.dataDir, dataDir]) killRecordedProcesses(dir);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return harness;
}

/** Kills every process group the runtime recorded under `dataDir` (left by a Kubelet with keepPodsOnStop, or a killed one). */
export function killRecordedProcesses(dataDir: string): void {
  const cgroups = Cgroups.detect();
  for (const uid of podDirectories(dataDir)) {
    const known: string[] = [];
    for (const record of readContainerRecords(new PodPaths({ dataDir, uid })).values()) {
      const run = record.running;
      if (run?.pid !== undefined && isAlive(run.pid, run.startTicks)) signalGroup(run.pid, 'SIGKILL');
      known.push(...recordedCgroups(run?.cgroups, uid, record.name));
    }
    // Processes outside the group (a setsid child) but in the Pod's cgroups, and the cgroups themselves; then what
    // runc made for container Pods in the hierarchies Floe sets no limits in.
    cgroups.releasePodSync(uid, known);
    removePodCgroupFolders(uid);
  }
}

export interface ContainerFields {
  name?: string;
  image?: string;
  command: string[];
  args?: string[];
  [field: string]: unknown;
}

/** A Pod manifest running the given containers (commands are host processes). */
export function podManifest(namespace: string, name: string, containers: ContainerFields[], spec: Partial<PodSpec> & Record<string, unknown> = {}, metadata: Partial<KubeObject['metadata']> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, ...metadata },
    spec: {
      terminationGracePeriodSeconds: 5,
      ...spec,
      containers: containers.map((c, i) => ({ image: 'node:20', ...c, name: c.name ?? (i === 0 ? 'main' : `c${i}`) })),
    },
  };
}

/** `node -e <script>` as a command. */
export function nodeCommand(script: string): string[] {
  return [process.execPath, '-e', script];
}

/** A logger that prints nothing, for tests that build their own Kubelet. */
export function silentLogger(): ReturnType<typeof createLogger> {
  return createLogger({ level: 'silent' });
}

/** Waits until the Pod's first container runs (started, with a container ID) and returns the Pod. */
export async function podRunning(client: Client, ns: string, name: string, timeoutMs = 20_000): Promise<Pod> {
  return waitFor(async () => {
    const p = await client.get<Pod>(PodRef, name, ns);
    const cs = p.status?.containerStatuses?.[0];
    return cs?.state.running && cs.containerID ? p : undefined;
  }, { what: `${name} to run`, timeoutMs });
}

/** Whether the Pod is gone from the API (NotFound). */
export async function podGone(client: Client, ns: string, name: string): Promise<boolean> {
  try {
    await client.get<Pod>(PodRef, name, ns);
    return false;
  } catch (err) {
    if (err instanceof FloeError && err.reason === 'NotFound') return true;
    throw err;
  }
}
