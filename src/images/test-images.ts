// Images the tests and the benchmark build: a busybox rootfs (Debian's static busybox, when installed) with an app
// layer on top, or, without busybox, a few plain files.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { LayerEntry } from './image-builder.js';

export const busyboxPath = '/usr/bin/busybox';
export const haveBusybox = (): boolean => existsSync(busyboxPath);

const applets = ['sh', 'echo', 'cat', 'ls', 'id', 'env', 'pwd', 'true', 'false', 'sleep', 'wc', 'head', 'mkdir', 'rm', 'touch', 'ps', 'hostname', 'test', 'grep', 'sed', 'awk', 'tar', 'gzip', 'vi'];

/** A base layer: /bin/busybox and its applets as symlinks, /etc/passwd and /etc/group, /tmp; files only without busybox. */
export async function baseLayer(): Promise<LayerEntry[]> {
  const entries: LayerEntry[] = [
    { path: 'bin/', type: 'dir' },
    { path: 'etc/', type: 'dir' },
    { path: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' },
    { path: 'etc/group', content: 'root:x:0:\napp:x:1000:\nnogroup:x:65534:\n' },
    { path: 'etc/os-release', content: 'NAME="floe test image"\n' },
    { path: 'tmp/', type: 'dir', mode: 0o1777 },
    { path: 'root/', type: 'dir', mode: 0o700 },
    { path: 'home/app/', type: 'dir', uid: 1000, gid: 1000 },
    { path: 'var/cache/big.txt', content: 'removed by the app layer\n' },
  ];
  if (haveBusybox()) {
    entries.push({ path: 'bin/busybox', content: await readFile(busyboxPath), mode: 0o755 });
    for (const a of applets) entries.push({ path: `bin/${a}`, type: 'symlink', linkname: '/bin/busybox' });
  }
  return entries;
}

/** An app layer: code under /app, a whiteout of the base's cache file, an opaque /var/cache. */
export function appLayer(message = 'hello from the image'): LayerEntry[] {
  return [
    { path: 'app/', type: 'dir' },
    { path: 'app/message.txt', content: `${message}\n` },
    { path: 'app/run.sh', content: '#!/bin/sh\necho "$(cat /app/message.txt) as $(id -u) in $(pwd)"\n', mode: 0o755 },
    { path: 'var/cache/.wh.big.txt' },
  ];
}

export const appConfig = { Entrypoint: ['/bin/sh'], Cmd: ['/app/run.sh'], Env: ['PATH=/bin', 'GREETING=hi'], WorkingDir: '/app', User: 'app' };
