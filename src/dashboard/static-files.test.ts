// The dashboard's static files: a request path can never name a file outside web/dist (written before the server code).
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { resolveStaticFile } from './static-files.js';

describe('dashboard static files: containment', () => {
  let dir: string;
  let root: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'floe-dash-static-'));
    root = join(dir, 'dist');
    await mkdir(join(root, 'assets'), { recursive: true });
    await writeFile(join(root, 'index.html'), '<!doctype html><title>Floe</title>');
    await writeFile(join(root, 'assets', 'app-abc123.js'), 'console.log(1)');
    await writeFile(join(dir, 'secret.txt'), 'the data directory');
    await symlink(join(dir, 'secret.txt'), join(root, 'assets', 'escape.js'));
    await symlink(dir, join(root, 'assets', 'up'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  test('dot segments, encoded dot segments, encoded slashes and backslashes never leave the root', async () => {
    for (const attack of [
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt',
      '/assets%2f..%2f..%2fsecret.txt',
      '/..%5csecret.txt',
      '/assets/..\\..\\secret.txt',
      '/%252e%252e/secret.txt',
      '/assets/app.js%00.html',
      '//etc/passwd',
      '/assets/%',
    ]) {
      const found = await resolveStaticFile(root, attack);
      assert.ok(found.kind !== 'file' || found.path.startsWith(root + '/'), `${attack} resolved to ${JSON.stringify(found)}`);
      assert.notEqual(found.kind === 'file' ? found.path : '', join(dir, 'secret.txt'), attack);
      assert.ok(found.kind === 'refused' || found.kind === 'missing' || found.kind === 'app', `${attack}: ${found.kind}`);
    }
  });

  test('a symlink inside the root that points outside is refused, not followed', async () => {
    assert.equal((await resolveStaticFile(root, '/assets/escape.js')).kind, 'refused');
    assert.equal((await resolveStaticFile(root, '/assets/up/secret.txt')).kind, 'refused');
  });

  test('real files are served; paths without an extension are the app (deep links); missing assets are missing', async () => {
    const asset = await resolveStaticFile(root, '/assets/app-abc123.js');
    assert.equal(asset.kind, 'file');
    assert.equal(asset.kind === 'file' && asset.immutable, true);
    assert.equal((await resolveStaticFile(root, '/')).kind, 'app');
    assert.equal((await resolveStaticFile(root, '/pipelines/runs/0a1b')).kind, 'app');
    assert.equal((await resolveStaticFile(root, '/assets/nope-123.js')).kind, 'missing');
  });
});
