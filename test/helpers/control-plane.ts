// Test support: the real control plane of tools/control-plane.mjs (etcd, kube-apiserver, kube-scheduler,
// kube-controller-manager, kwok) as a child process, with its kubeconfig.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const script = join(root, 'tools', 'control-plane.mjs');

export interface ControlPlane {
  url: string;
  kubeconfig: string;
  dir: string;
  stop(): Promise<void>;
}

/**
 * Why the real control plane cannot run here, or undefined when it can: it is built from Go modules, so it needs
 * the Go toolchain unless a previous build is cached. Printed as the reason a suite is skipped.
 */
export function controlPlaneUnavailable(): string | undefined {
  if (spawnSync('sh', ['-c', 'command -v go'], { stdio: 'ignore' }).status === 0) return undefined;
  const cached = spawnSync(process.execPath, [script, 'build'], { stdio: 'ignore', env: { ...process.env, PATH: '/usr/bin:/bin' } });
  return cached.status === 0 ? undefined : 'the real kube-apiserver is built from Go modules and the Go toolchain is not on the PATH';
}

/** Starts the control plane (building it the first time: minutes) and waits until it is ready. */
export async function startControlPlane(): Promise<ControlPlane> {
  const child = spawn(process.execPath, [script, 'up'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (/building/.test(d.toString())) process.stderr.write(d);
  });
  const ready = await new Promise<{ url: string; kubeconfig: string; dir: string }>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line) as { url: string; kubeconfig: string; dir: string });
    });
    child.once('exit', (code) => reject(new Error(`the control plane exited (${code}) before it was ready:\n${stderr.slice(-4000)}`)));
  });
  return {
    ...ready,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
