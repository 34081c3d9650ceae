// Layers for real: unpacking gzip, zstd and plain tars with their digests checked, malicious layers that try to
// write outside their directory, and root filesystems stacked with whiteouts, copied or hard-linked.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { sha256Digest } from './digest.js';
import { ImageError } from './errors.js';
import { layerTar, zstdStoredFrame, type LayerEntry } from './image-builder.js';
import { unpackLayer } from './layer.js';
import { assembleRootfs } from './rootfs.js';

let work: string;
let n = 0;
const fresh = async (name: string): Promise<string> => {
  const dir = join(work, `${name}-${++n}`);
  await mkdir(dir);
  return dir;
};
const asRoot = process.getuid?.() === 0;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'floe-layers-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

const sample: LayerEntry[] = [
  { path: 'bin/', type: 'dir' },
  { path: 'bin/tool', content: '#!/bin/sh\necho hi\n', mode: 0o4755, uid: 1000, gid: 1000 },
  { path: 'bin/alias', type: 'link', linkname: 'bin/tool' },
  { path: 'bin/sh', type: 'symlink', linkname: '/bin/tool' },
  { path: 'etc/deep/nested/file.conf', content: 'x=1\n' },
  { path: 'dev/null', type: 'char' },
  { path: './', type: 'dir', mode: 0o755 },
];

describe('unpacking a layer', () => {
  for (const compression of ['none', 'gzip', 'zstd (stored blocks)', 'zstd (the zstd command)'] as const) {
    test(`${compression}: files, modes, owners, hard links, symlinks; digests and diff_id`, async (t) => {
      const tar = await layerTar(sample);
      let blob: Buffer;
      if (compression === 'gzip') blob = gzipSync(tar);
      else if (compression === 'zstd (stored blocks)') blob = zstdStoredFrame(tar);
      else if (compression === 'zstd (the zstd command)') {
        const r = spawnSync('zstd', ['-q', '-c', '-19'], { input: tar });
        if (r.status !== 0) {
          t.skip('the zstd command is not installed');
          return;
        }
        blob = r.stdout;
      } else blob = tar;
      const dir = await fresh('unpack');
      const result = await unpackLayer(Readable.from([blob]), dir, { expectDigest: sha256Digest(blob), expectSize: blob.length, expectDiffId: sha256Digest(tar) });
      assert.equal(result.diffId, sha256Digest(tar));
      assert.equal(result.compression, compression.startsWith('zstd') ? 'zstd' : compression);
      assert.deepEqual(result.skipped, ['dev/null']);
      assert.equal(await readFile(join(dir, 'bin/tool'), 'utf8'), '#!/bin/sh\necho hi\n');
      const tool = await stat(join(dir, 'bin/tool'));
      assert.equal(tool.mode & 0o7777, 0o4755);
      if (asRoot) assert.equal(tool.uid, 1000);
      assert.equal((await stat(join(dir, 'bin/alias'))).ino, tool.ino);
      assert.equal(await readlink(join(dir, 'bin/sh')), '/bin/tool');
      assert.equal(await readFile(join(dir, 'etc/deep/nested/file.conf'), 'utf8'), 'x=1\n');
    });
  }

  test('a blob that does not match its digest, or a tar that does not match its diff_id, fails', async () => {
    const tar = await layerTar(sample);
    const blob = gzipSync(tar);
    await assert.rejects(unpackLayer(Readable.from([blob]), await fresh('bad'), { expectDigest: sha256Digest('other'), what: 'layer L' }), /layer L: digest mismatch/);
    await assert.rejects(unpackLayer(Readable.from([blob]), await fresh('bad'), { expectDigest: sha256Digest(blob), expectSize: blob.length - 1 }), /more than the \d+ bytes/);
    await assert.rejects(unpackLayer(Readable.from([blob]), await fresh('bad'), { expectDiffId: sha256Digest('other') }), /\(uncompressed\): digest mismatch/);
    await assert.rejects(unpackLayer(Readable.from([blob.subarray(0, blob.length - 20)]), await fresh('bad'), {}), ImageError);
  });
});

describe('a malicious layer stays inside its directory', () => {
  let outside: string;
  before(async () => {
    outside = await fresh('outside');
    await writeFile(join(outside, 'target'), 'original');
  });

  const cases: [string, () => LayerEntry[], RegExp][] = [
    ['a path climbing out with ..', () => [{ path: '../escape.txt', content: 'pwned' }], /points outside the layer/],
    ['a path climbing out from a subdirectory', () => [{ path: 'a/../../escape.txt', content: 'pwned' }], /points outside the layer/],
    ['a write through an absolute symlink', () => [{ path: 'evil', type: 'symlink', linkname: outside }, { path: 'evil/pwned', content: 'pwned' }], /through the symlink "evil"/],
    ['a write through a relative symlink to ..', () => [{ path: 'up', type: 'symlink', linkname: '../../../../../../..' }, { path: `up${outside}/pwned`, content: 'pwned' }], /through the symlink "up"/],
    ['a hard link to a file outside', () => [{ path: 'hl', type: 'link', linkname: '../outside/target' }], /points outside the layer/],
    ['a hard link through a symlinked directory', () => [{ path: 's', type: 'symlink', linkname: outside }, { path: 'hl', type: 'link', linkname: 's/target' }], /through the symlink "s"/],
    ['a directory entry through a symlink', () => [{ path: 'evil', type: 'symlink', linkname: outside }, { path: 'evil/newdir/', type: 'dir' }], /through the symlink "evil"/],
  ];
  for (const [name, entries, message] of cases) {
    test(name, async () => {
      const dir = await fresh('evil');
      const tar = await layerTar(entries());
      await assert.rejects(unpackLayer(Readable.from([gzipSync(tar)]), dir), (err: unknown) => err instanceof ImageError && message.test(err.message));
      assert.deepEqual((await readdir(outside)).sort(), ['target']);
      assert.equal(await readFile(join(outside, 'target'), 'utf8'), 'original');
      assert.equal(await stat(join(dir, '..', 'escape.txt')).catch(() => undefined), undefined);
    });
  }

  test('an absolute path lands inside; a file over a planted symlink replaces the symlink', async () => {
    const dir = await fresh('abs');
    const tar = await layerTar([
      { path: '/etc/abs.conf', content: 'inside' },
      { path: 'f', type: 'symlink', linkname: join(outside, 'target') },
      { path: 'f', content: 'replaced' },
    ]);
    await unpackLayer(Readable.from([tar]), dir);
    assert.equal(await readFile(join(dir, 'etc/abs.conf'), 'utf8'), 'inside');
    assert.equal((await lstat(join(dir, 'f'))).isFile(), true);
    assert.equal(await readFile(join(outside, 'target'), 'utf8'), 'original');
  });
});

describe('stacking layers into a root filesystem', () => {
  const lower: LayerEntry[] = [
    { path: 'etc/', type: 'dir' },
    { path: 'etc/a.txt', content: 'a1' },
    { path: 'etc/b.txt', content: 'b' },
    { path: 'etc/keep/x', content: 'x' },
    { path: 'd/old1', content: '1' },
    { path: 'd/sub/old2', content: '2' },
    { path: 'replaced', content: 'was a file' },
    { path: 'dir2file/inner', content: 'was in a dir' },
    { path: 'lnk', type: 'symlink', linkname: 'etc/a.txt' },
    { path: 'bin/busybox', content: 'binary', mode: 0o755 },
  ];
  const upper: LayerEntry[] = [
    { path: 'etc/.wh.b.txt' },
    { path: 'etc/.wh.keep' },
    { path: 'etc/a.txt', content: 'a2' },
    { path: 'd/.wh..wh..opq' },
    { path: 'd/new', content: 'new' },
    { path: 'replaced/child', content: 'now a dir' },
    { path: 'dir2file', content: 'now a file' },
    { path: 'h1', content: 'linked' },
    { path: 'h2', type: 'link', linkname: 'h1' },
    { path: '.wh.nothing-there' },
  ];
  let layers: string[];
  before(async () => {
    layers = [];
    for (const entries of [lower, upper]) {
      const dir = await fresh('layer');
      await unpackLayer(Readable.from([await layerTar(entries)]), dir);
      layers.push(dir);
    }
  });

  const expectTree = async (root: string): Promise<void> => {
    assert.equal(await readFile(join(root, 'etc/a.txt'), 'utf8'), 'a2');
    assert.equal(await stat(join(root, 'etc/b.txt')).catch(() => undefined), undefined);
    assert.equal(await stat(join(root, 'etc/keep')).catch(() => undefined), undefined);
    assert.deepEqual((await readdir(join(root, 'd'))).sort(), ['new']);
    assert.equal(await readFile(join(root, 'replaced/child'), 'utf8'), 'now a dir');
    assert.equal(await readFile(join(root, 'dir2file'), 'utf8'), 'now a file');
    assert.equal(await readlink(join(root, 'lnk')), 'etc/a.txt');
    assert.equal((await stat(join(root, 'bin/busybox'))).mode & 0o777, 0o755);
    assert.equal((await stat(join(root, 'h1'))).ino, (await stat(join(root, 'h2'))).ino);
    const all = (await readdir(root, { recursive: true })).map(String);
    assert.deepEqual(all.filter((p) => p.split('/').some((c) => c.startsWith('.wh.'))), []);
  };

  test('copy: whiteouts and opaque directories applied, a private writable tree', async () => {
    const root = join(await fresh('rootfs'), 'rootfs');
    const stats = await assembleRootfs(layers, root, 'copy');
    await expectTree(root);
    assert.equal(stats.whiteouts, 4);
    assert.notEqual((await stat(join(root, 'etc/a.txt'))).ino, (await stat(join(layers[1]!, 'etc/a.txt'))).ino);
    await writeFile(join(root, 'etc/a.txt'), 'changed in the container');
    assert.equal(await readFile(join(layers[1]!, 'etc/a.txt'), 'utf8'), 'a2');
  });

  test("hardlink: the same tree on the store's inodes", async () => {
    const root = join(await fresh('rootfs'), 'rootfs');
    await assembleRootfs(layers, root, 'hardlink');
    await expectTree(root);
    assert.equal((await stat(join(root, 'etc/a.txt'))).ino, (await stat(join(layers[1]!, 'etc/a.txt'))).ino);
  });

  test('a target that is not empty is refused', async () => {
    const root = await fresh('rootfs');
    await writeFile(join(root, 'x'), '');
    await assert.rejects(assembleRootfs(layers, root, 'copy'), /not empty/);
  });
});
