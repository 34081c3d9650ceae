// `floe image …` as a user runs it: the built CLI as a subprocess on a temporary data directory, loading archives,
// listing, removing, pruning, and pulling from a real registry on loopback (when Go can build one).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { buildImage, dockerSaveArchive, pushBuiltImage, tarDirectory, writeOciLayout, type BuiltImage } from '../images/image-builder.js';
import { normalizeReference, RegistryClient, parseDockerConfig } from '../images/index.js';

const cli = fileURLToPath(new URL('./main.js', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

function floe(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, DOCKER_CONFIG: join(work, 'no-docker-config'), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

let work: string;
let dataDir: string;
let image: BuiltImage;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'floe-image-cli-'));
  dataDir = join(work, 'data');
  image = await buildImage({ layers: [[{ path: 'etc/motd', content: 'loaded by the CLI\n' }], [{ path: 'app/x', content: 'x' }]], config: { Cmd: ['/bin/sh'] } });
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('floe image load, ls, rm, prune', () => {
  test('load an OCI-layout tar and a docker save tar; list them', async () => {
    const layout = join(work, 'layout');
    await writeOciLayout(layout, [{ name: 'registry.example.com/team/app:v1', image }]);
    await writeFile(join(work, 'oci.tar'), await tarDirectory(layout));
    await writeFile(join(work, 'save.tar'), await dockerSaveArchive([{ repoTags: ['busybox:test'], image }]));
    const oci = await floe(['image', 'load', join(work, 'oci.tar'), '--data-dir', dataDir]);
    assert.equal(oci.code, 0, oci.stderr);
    assert.equal(oci.stdout, 'Loaded image: registry.example.com/team/app:v1\n');
    assert.match(oci.stderr, /unpacking layer sha256:/);
    const save = await floe(['image', 'load', '-q', join(work, 'save.tar'), '--data-dir', dataDir]);
    assert.equal(save.code, 0, save.stderr);
    assert.equal(save.stdout, 'Loaded image: docker.io/library/busybox:test\n');
    assert.equal(save.stderr, '');

    const ls = await floe(['image', 'ls', '--data-dir', dataDir]);
    assert.equal(ls.code, 0, ls.stderr);
    const lines = ls.stdout.trim().split('\n');
    assert.match(lines[0]!, /^IMAGE\s+TAG\s+IMAGE ID\s+DIGEST\s+SIZE\s+AGE$/);
    const id = image.config.descriptor.digest.slice(7, 19);
    assert.match(lines[1]!, new RegExp(`^docker\\.io/library/busybox\\s+test\\s+${id}\\s+[0-9a-f]{12}\\s+19B\\s+\\d+s$`));
    assert.match(lines[2]!, new RegExp(`^registry\\.example\\.com/team/app\\s+v1\\s+${id}\\s+${image.manifest.descriptor.digest.slice(7, 19)}\\s+19B\\s+\\d+s$`));
    const json = JSON.parse((await floe(['image', 'ls', '-o', 'json', '--data-dir', dataDir])).stdout) as { images: { name: string }[] };
    assert.deepEqual(json.images.map((i) => i.name), ['docker.io/library/busybox:test', 'registry.example.com/team/app:v1']);
    assert.equal((await floe(['image', 'ls', '-q', '--data-dir', dataDir])).stdout, `${id}\n`);
  });

  test('rm: by name, then a name that is not there (exit 1), and prune', async () => {
    const removed = await floe(['image', 'rm', 'busybox:test', 'nothing:here', '--data-dir', dataDir]);
    assert.equal(removed.code, 1);
    assert.equal(removed.stdout, 'Deleted: docker.io/library/busybox:test\n');
    assert.equal(removed.stderr, 'error: no such image: nothing:here\n');
    const pruned = await floe(['image', 'prune', '--all', '--data-dir', dataDir]);
    assert.equal(pruned.code, 0, pruned.stderr);
    assert.match(pruned.stdout, /^Deleted: registry\.example\.com\/team\/app:v1\nTotal reclaimed space: [\d.]+\w?B \(2 layers, \d+ blobs\)\n$/);
    assert.equal((await floe(['image', 'ls', '-q', '--data-dir', dataDir])).stdout, '');
  });

  test('errors a user can act on', async () => {
    const missing = await floe(['image', 'load', join(work, 'missing.tar'), '--data-dir', dataDir]);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, `error: cannot load ${join(work, 'missing.tar')}: no such file\n`);
    const bad = await floe(['image', 'pull', 'Not/Valid', '--data-dir', dataDir]);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, 'error: invalid image reference "Not/Valid": repository name (Valid) must be lowercase\n');
    const usage = await floe(['image', 'prune', '--max-size', 'lots', '--data-dir', dataDir]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /"lots" is not a size/);
  });
});

interface RegistryTool {
  haveGo(): boolean;
  startRegistry(options: { auth?: { user: string; password: string } }): Promise<{ host: string; dir: string; stop(): Promise<void> }>;
}
const tool = (await import(pathToFileURL(join(repoRoot, 'tools', 'registry.mjs')).href)) as RegistryTool;

describe('floe image pull', { skip: tool.haveGo() ? false : 'the Go toolchain is not installed: it builds the distribution registry' }, () => {
  let registry: Awaited<ReturnType<RegistryTool['startRegistry']>>;
  let config: string;
  before(async () => {
    registry = await tool.startRegistry({ auth: { user: 'cli', password: 'pw' } });
    const auths = { auths: { [registry.host]: { auth: Buffer.from('cli:pw').toString('base64') } } };
    config = join(work, 'docker-config');
    await import('node:fs/promises').then((fs) => fs.mkdir(config, { recursive: true }));
    await writeFile(join(config, 'config.json'), JSON.stringify(auths));
    const client = new RegistryClient({ credentials: parseDockerConfig(auths, 'test') });
    await pushBuiltImage(client, normalizeReference(`${registry.host}/cli/app:1`), [image], '1');
  });
  after(async () => {
    await registry?.stop();
    await rm(registry?.dir ?? join(work, 'none'), { recursive: true, force: true });
  });

  test('with credentials from DOCKER_CONFIG: progress on stderr, name@digest on stdout; then listed', async () => {
    const pulled = await floe(['image', 'pull', `${registry.host}/cli/app:1`, '--data-dir', dataDir], { DOCKER_CONFIG: config });
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.equal(pulled.stdout, `${registry.host}/cli/app:1@${image.manifest.descriptor.digest}\n`);
    assert.match(pulled.stderr, /resolved to sha256:[0-9a-f]{64} \(2 layers, [\d.]+B\)\n[0-9a-f]{12}: downloading/);
    assert.match(pulled.stderr, /pulled in [\d.]+ s\n$/);
    const ls = await floe(['image', 'ls', '--data-dir', dataDir]);
    assert.match(ls.stdout, new RegExp(`${registry.host.replace(/\./g, '\\.')}/cli/app\\s+1\\s+`));
  });

  test('without credentials: the registry\'s refusal, exit 1', async () => {
    const denied = await floe(['image', 'pull', `${registry.host}/cli/app:1`, '--data-dir', join(work, 'other-data')]);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, new RegExp(`^error: failed to pull image "${registry.host}/cli/app:1": .*user name and password`));
  });
});
