// Test support: Floe and a Kubelet in a child process (kubelet-fixture.ts), for tests that kill it with SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Client } from '../../src/client/client.js';
import { KubeClient } from '../../src/client/kube-client.js';

const fixture = fileURLToPath(new URL('./kubelet-fixture.js', import.meta.url));

/** Starts the fixture on `dataDir` and waits until it serves; the client speaks to it over HTTP. */
export async function startCrashFixture(dataDir: string): Promise<{ child: ChildProcess; client: Client }> {
  const child = spawn(process.execPath, [fixture, dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the fixture exited with ${String(code)} before it was ready`)));
  });
  lines.close();
  const { kubeconfig } = JSON.parse(first) as { kubeconfig: string };
  return { child, client: KubeClient.fromFile(kubeconfig) };
}

/** `kill -9` of the fixture, as a crash would end Floe; resolves once it is gone. */
export async function killCrashFixture(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}
