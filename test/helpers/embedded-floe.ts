// A whole embedded Floe for controller tests: store, API, every capability's controllers and the local runtime, in a
// fresh data directory, with the kubelet's short test timing.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig } from '../../src/server/config.js';
import { startFloe, type Floe } from '../../src/server/floe.js';
import { killRecordedProcesses, testTiming } from './kubelet-harness.js';

export interface EmbeddedFloe {
  floe: Floe;
  dataDir: string;
  /** Stops Floe, kills any Pod process left behind, and removes the data directory. */
  stop(): Promise<void>;
}

export async function startEmbeddedFloe(prefix: string): Promise<EmbeddedFloe> {
  const dataDir = await mkdtemp(join(tmpdir(), prefix));
  const floe = await startFloe({ ...defaultConfig(), dataDir, port: 0, logLevel: 'silent', runPods: true, controllers: true, kubeletTiming: testTiming });
  return {
    floe,
    dataDir,
    async stop() {
      await floe.stop();
      killRecordedProcesses(dataDir);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
