// Test support: a tiny image built from Debian's static busybox (every applet, a script that exists only in the image),
// written as an OCI layout and loaded with `floe image load`, and the reason container tests skip on this machine.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildImage, writeOciLayout, type LayerEntry } from '../../src/images/image-builder.js';
import type { ImageRuntimeConfig } from '../../src/images/index.js';
import { ContainerRuntime } from '../../src/kubelet/container-runtime.js';

const busybox = '/usr/bin/busybox';
const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** Why container tests cannot run here (no runc, not root, no busybox-static), or false when they can. */
export function containerSkipReason(): string | false {
  const runc = ContainerRuntime.findRunc();
  if ('reason' in runc) return runc.reason;
  if (!existsSync(busybox)) return `${busybox} is missing (apt-get install busybox-static)`;
  const file = spawnSync('file', ['-L', busybox], { encoding: 'utf8' }).stdout ?? '';
  if (file && !/statically linked|static-pie/.test(file)) return `${busybox} is not statically linked (install busybox-static)`;
  return false;
}

/** The script every test image carries at /app/hello.sh; it exists nowhere on the host. */
export const helloScript = `#!/bin/sh
echo "hello from the image: greeting=$GREETING uid=$(id -u) gid=$(id -g) cwd=$(pwd) host=$(hostname) args=$*"
exit "\${EXIT_CODE:-0}"
`;

/** The image's layer: busybox with every applet in /bin, /etc/passwd and /etc/group, /app, /tmp. */
export function imageLayer(extra: LayerEntry[] = []): LayerEntry[] {
  const list = spawnSync(busybox, ['--list'], { encoding: 'utf8' }).stdout.split('\n').filter((a) => a && a !== 'busybox');
  return [
    { path: 'bin/', type: 'dir' },
    { path: 'bin/busybox', content: readFileSync(busybox), mode: 0o755 },
    ...list.map((a): LayerEntry => ({ path: `bin/${a}`, type: 'symlink', linkname: '/bin/busybox' })),
    { path: 'etc/', type: 'dir' },
    { path: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' },
    { path: 'etc/group', content: 'root:x:0:\napp:x:1000:\nnogroup:x:65534:\n' },
    { path: 'tmp/', type: 'dir', mode: 0o1777 },
    { path: 'root/', type: 'dir', mode: 0o700 },
    { path: 'home/app/', type: 'dir', uid: 1000, gid: 1000 },
    { path: 'app/', type: 'dir' },
    { path: 'app/hello.sh', content: helloScript, mode: 0o755 },
    ...extra,
  ];
}

export const defaultImageConfig: ImageRuntimeConfig = {
  Entrypoint: ['/app/hello.sh'],
  Cmd: ['from-cmd'],
  Env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin', 'GREETING=image-env'],
  WorkingDir: '/app',
};

/** Writes an OCI layout of one image named `name` into `dir`. */
export async function writeTestImage(dir: string, name: string, options: { config?: ImageRuntimeConfig; extra?: LayerEntry[] } = {}): Promise<void> {
  const image = await buildImage({ layers: [imageLayer(options.extra)], config: options.config ?? defaultImageConfig });
  await writeOciLayout(dir, [{ name, image }]);
}

/** `floe image load <layout> --data-dir <dataDir>`: the image goes into `<dataDir>/images`, as a user would load it. */
export function floeImageLoad(dataDir: string, layout: string): void {
  const r = spawnSync(process.execPath, [cli, 'image', 'load', layout, '--data-dir', dataDir, '-q'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`floe image load failed (${r.status ?? r.signal}): ${r.stderr}${r.stdout}`);
}
