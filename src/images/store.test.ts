// The store for real: `docker save` and OCI-layout archives loaded, listed, found, turned into root filesystems (run
// with chroot when busybox and root are here), removed, and collected by age and size.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { loadArchive } from './archive.js';
import { containerArgv, imageEnv, resolveImageUser, workingDir } from './container-config.js';
import { ImageError } from './errors.js';
import { buildImage, buildIndex, dockerSaveArchive, layerTar, tarDirectory, writeOciLayout, type BuiltImage } from './image-builder.js';
import { ImageStore } from './store.js';
import { appConfig, appLayer, baseLayer, haveBusybox } from './test-images.js';

let work: string;
let base: Awaited<ReturnType<typeof baseLayer>>;
let app: BuiltImage;
let n = 0;
const fresh = async (name: string): Promise<string> => {
  const dir = join(work, `${name}-${++n}`);
  await mkdir(dir);
  return dir;
};

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'floe-store-'));
  base = await baseLayer();
  app = await buildImage({ layers: [base, appLayer()], config: appConfig });
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

async function ociArchive(images: Parameters<typeof writeOciLayout>[1], gzip = false): Promise<string> {
  const layout = await fresh('layout');
  await writeOciLayout(layout, images);
  const tar = await tarDirectory(layout);
  const file = join(work, `oci-${++n}.tar${gzip ? '.gz' : ''}`);
  await writeFile(file, gzip ? gzipSync(tar) : tar);
  return file;
}

describe('loading archives', () => {
  test('an OCI-layout archive (gzip-compressed): listed, found by name, digest and ID, made into a rootfs', async () => {
    const store = new ImageStore({ root: await fresh('store') });
    const file = await ociArchive([{ name: 'registry.example.com/team/app:v1', image: app }], true);
    const [record] = await loadArchive(store, file);
    assert.equal(record?.name, 'registry.example.com/team/app:v1');
    assert.equal(record?.digest, app.manifest.descriptor.digest);
    assert.equal(record?.configDigest, app.config.descriptor.digest);
    assert.deepEqual(record?.layers.map((l) => l.diffId), app.diffIds);
    assert.equal(record?.source, 'archive');
    assert.deepEqual((await store.list()).map((r) => r.name), ['registry.example.com/team/app:v1']);
    for (const q of ['registry.example.com/team/app:v1', `registry.example.com/team/app@${app.manifest.descriptor.digest}`, app.config.descriptor.digest, app.config.descriptor.digest.slice(7, 19)]) {
      assert.equal((await store.find(q))?.name, 'registry.example.com/team/app:v1', q);
    }
    assert.equal(await store.find('registry.example.com/team/app:v2'), undefined);

    const root = join(await fresh('rootfs'), 'rootfs');
    const { config, stats } = await store.rootfs('registry.example.com/team/app:v1', root);
    assert.equal(await readFile(join(root, 'app/message.txt'), 'utf8'), 'hello from the image\n');
    assert.equal(await stat(join(root, 'var/cache/big.txt')).catch(() => undefined), undefined);
    assert.ok(stats.files >= 5);
    assert.deepEqual(containerArgv(config.config, {}), ['/bin/sh', '/app/run.sh']);
    assert.deepEqual(imageEnv(config.config), { PATH: '/bin', GREETING: 'hi' });
    assert.equal(workingDir(config.config, {}), '/app');
    assert.deepEqual(await resolveImageUser(root, config.config?.User), { uid: 1000, gid: 1000, groups: [], home: '/home/app' });
  });

  test('the rootfs runs: busybox under chroot as the image user', async (t) => {
    if (!haveBusybox() || process.getuid?.() !== 0) {
      t.skip(haveBusybox() ? 'chroot needs root' : 'Debian busybox-static is not installed (apt-get install busybox-static)');
      return;
    }
    const store = new ImageStore({ root: await fresh('store') });
    await loadArchive(store, await ociArchive([{ name: 'app:v1', image: app }]));
    const root = join(await fresh('rootfs'), 'rootfs');
    const { config } = await store.rootfs('app:v1', root);
    const user = await resolveImageUser(root, config.config?.User);
    const argv = containerArgv(config.config, {});
    const env = Object.entries(imageEnv(config.config)).map(([k, v]) => `${k}=${v}`);
    const r = spawnSync('chroot', [`--userspec=${user.uid}:${user.gid}`, root, '/bin/env', '-i', ...env, '/bin/sh', '-c', `cd ${workingDir(config.config, {})} && exec "$@"`, 'sh', ...argv], { encoding: 'utf8' });
    assert.equal(r.stderr, '', r.error?.message);
    assert.equal(r.stdout, 'hello from the image as 1000 in /app\n');
  });

  test('the store is private to Floe\'s user: a data directory it creates and every folder of the store are 0700', async () => {
    const dataDir = join(await fresh('private'), 'data');
    const store = new ImageStore({ root: join(dataDir, 'images') });
    await loadArchive(store, await ociArchive([{ name: 'registry.example.com/team/app:v1', image: app }]));
    for (const dir of [dataDir, join(dataDir, 'images'), join(dataDir, 'images', 'blobs'), join(dataDir, 'images', 'layers')]) {
      assert.equal((await stat(dir)).mode & 0o777, 0o700, dir);
    }
  });

  test('a docker save archive: every RepoTag named, one content', async () => {
    const store = new ImageStore({ root: await fresh('store') });
    const file = join(work, 'save.tar');
    await writeFile(file, await dockerSaveArchive([{ repoTags: ['app:v1', 'localhost:5000/app:latest'], image: app }]));
    const records = await loadArchive(store, file);
    assert.deepEqual(records.map((r) => r.name), ['docker.io/library/app:v1', 'localhost:5000/app:latest']);
    assert.equal(records[0]?.digest, records[1]?.digest);
    assert.equal(records[0]?.configDigest, app.config.descriptor.digest);
    // Docker saves layers uncompressed: their blob digest is the diff_id.
    assert.deepEqual(records[0]?.layers.map((l) => l.digest), app.diffIds);
    const root = join(await fresh('rootfs'), 'rootfs');
    await store.rootfs('app:v1', root);
    assert.equal(await readFile(join(root, 'app/message.txt'), 'utf8'), 'hello from the image\n');
    // Loading again finds the layers present and only hashes them.
    const again = await loadArchive(store, file);
    assert.equal(again[0]?.digest, records[0]?.digest);
  });

  test('an OCI layout directory with a multi-platform index: linux/amd64 is chosen', async () => {
    const arm = await buildImage({ layers: [[{ path: 'arch', content: 'arm64' }]], platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } });
    const amd = await buildImage({ layers: [[{ path: 'arch', content: 'amd64' }]], platform: { os: 'linux', architecture: 'amd64' } });
    const index = buildIndex([arm, amd]);
    const layout = await fresh('layout');
    await writeOciLayout(layout, [{ name: 'multi:1', image: amd, others: [arm], index }]);
    const store = new ImageStore({ root: await fresh('store'), platform: { os: 'linux', architecture: 'amd64' } });
    const [record] = await loadArchive(store, layout);
    assert.equal(record?.digest, amd.manifest.descriptor.digest);
    assert.equal(record?.repoDigest, index.descriptor.digest);
    assert.equal((await store.find(`multi@${index.descriptor.digest}`))?.name, 'docker.io/library/multi:1');
    const root = join(await fresh('rootfs'), 'rootfs');
    await store.rootfs('multi:1', root);
    assert.equal(await readFile(join(root, 'arch'), 'utf8'), 'amd64');
  });

  test('an image named only by a tag needs --name; a zstd layer loads', async () => {
    const zimg = await buildImage({ layers: [[{ path: 'z.txt', content: 'zstd layer' }]], compression: 'zstd' });
    const file = await ociArchive([{ tag: 'v9', image: zimg }]);
    const store = new ImageStore({ root: await fresh('store') });
    await assert.rejects(loadArchive(store, file), /only the tag "v9".*--name/);
    const [record] = await loadArchive(store, file, { name: 'localhost/zed' });
    assert.equal(record?.name, 'localhost/zed:latest');
    const root = join(await fresh('rootfs'), 'rootfs');
    await store.rootfs('localhost/zed', root);
    assert.equal(await readFile(join(root, 'z.txt'), 'utf8'), 'zstd layer');
  });

  test('archives that lie or escape are refused, and nothing lands outside', async () => {
    const store = new ImageStore({ root: await fresh('store') });
    const escape = join(work, 'evil.tar');
    await writeFile(escape, await layerTar([{ path: '../../escaped-by-archive', content: 'x' }, { path: 'manifest.json', content: '[]' }]));
    await assert.rejects(loadArchive(store, escape), /points outside/);
    assert.equal(await stat(join(work, '..', 'escaped-by-archive')).catch(() => undefined), undefined);

    const lying = join(work, 'lying.tar');
    await writeFile(lying, await layerTar([{ path: 'manifest.json', content: JSON.stringify([{ Config: '../../../etc/passwd', RepoTags: ['x:1'], Layers: [] }]) }]));
    await assert.rejects(loadArchive(store, lying), /points outside/);

    const layout = await fresh('layout');
    await writeOciLayout(layout, [{ name: 'bad:1', image: app }]);
    await writeFile(join(layout, 'blobs', 'sha256', app.layers[1]!.descriptor.digest.slice(7)), gzipSync(await layerTar([{ path: 'swapped', content: 'x' }])));
    await assert.rejects(loadArchive(store, layout), /(digest|size) mismatch/);
    await assert.rejects(loadArchive(store, join(work, 'missing.tar')), /no such file/);
    const notImage = join(work, 'plain.tar');
    await writeFile(notImage, await layerTar([{ path: 'hello.txt', content: 'hi' }]));
    await assert.rejects(loadArchive(store, notImage), /neither a `docker save` archive/);
    assert.deepEqual(await store.list(), []);
  });
});

describe('removing and collecting', () => {
  test('remove a name, then the content nothing else uses; shared layers stay', async () => {
    const store = new ImageStore({ root: await fresh('store') });
    const other = await buildImage({ layers: [base, appLayer('another app')], config: appConfig });
    await loadArchive(store, await ociArchive([{ name: 'one:1', image: app }, { name: 'two:1', image: other }]));
    const layerDirs = async (): Promise<string[]> => (await readdir(join(store.root, 'layers', 'sha256'))).filter((x) => !x.endsWith('.json')).sort();
    assert.equal((await layerDirs()).length, 3);
    assert.deepEqual(await store.remove('one:1'), ['docker.io/library/one:1']);
    assert.deepEqual((await store.list()).map((r) => r.name), ['docker.io/library/two:1']);
    assert.deepEqual(await layerDirs(), other.diffIds.map((d) => d.slice(7)).sort());
    await assert.rejects(store.remove('one:1'), (err: unknown) => err instanceof ImageError && /no such image: one:1/.test(err.message));
    // By image ID: every name of that image goes.
    await loadArchive(store, await ociArchive([{ name: 'two:alias', image: other }]));
    assert.deepEqual((await store.remove(other.config.descriptor.digest)).sort(), ['docker.io/library/two:1', 'docker.io/library/two:alias']);
    assert.deepEqual(await layerDirs(), []);
    assert.deepEqual(await readdir(join(store.root, 'blobs', 'sha256')), []);
  });

  test('gc by age and by size keeps images in use', async () => {
    let clock = Date.parse('2025-01-01T00:00:00Z');
    const store = new ImageStore({ root: await fresh('store'), now: () => clock });
    const imgs = await Promise.all([1, 2, 3].map((i) => buildImage({ layers: [[{ path: `data${i}`, content: Buffer.alloc(10_000, i) }]] })));
    for (const [i, img] of imgs.entries()) {
      clock += 3_600_000;
      await loadArchive(store, await ociArchive([{ name: `img${i + 1}:1`, image: img }]));
    }
    // An hour later: img1 was loaded 3 h ago, img2 2 h, img3 1 h; img1 is in use.
    clock += 3_600_000;
    const byAge = await store.gc({ unusedForMs: 90 * 60_000, keep: ['img1:1'] });
    assert.deepEqual(byAge.removedImages, ['docker.io/library/img2:1']);
    assert.equal(byAge.removedLayers, 1);
    assert.ok(byAge.freedBytes >= 10_000);
    const bySize = await store.gc({ maxBytes: 15_000 });
    assert.deepEqual(bySize.removedImages, ['docker.io/library/img1:1']);
    assert.deepEqual((await store.list()).map((r) => r.name), ['docker.io/library/img3:1']);
  });

  test('imagePullPolicy Never without the image: the kubelet\'s ErrImageNeverPull', async () => {
    const store = new ImageStore({ root: await fresh('store') });
    await assert.rejects(store.ensure('busybox:1.36', 'Never'), (err: unknown) => err instanceof ImageError && err.pullReason === 'ErrImageNeverPull' && err.message === 'Container image "busybox:1.36" is not present with pull policy of Never');
    await loadArchive(store, await ociArchive([{ name: 'busybox:1.36', image: app }]));
    const { pulled, image } = await store.ensure('busybox:1.36', 'IfNotPresent');
    assert.equal(pulled, false);
    assert.equal(image.name, 'docker.io/library/busybox:1.36');
    await assert.rejects(store.ensure('NOT/Valid', 'IfNotPresent'), (err: unknown) => err instanceof ImageError && err.pullReason === 'InvalidImageName');
  });
});
