// The dashboard's artifact previews and its logs-and-events search, over HTTP on a real Floe. Previews read files
// through KFP's ArtifactService (`GET /apis/v2beta1/artifacts/{id}?view=DOWNLOAD`, then its download URL): only files
// inside the pipelines folder, HTML with a policy that forbids scripts, and in multi-user mode only the artifacts of the
// caller's namespaces. Search: its bounds, a long log read as a stream, and that a user searches only its namespaces.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { defaultConfig } from '../server/config.js';
import { startFloe, type Floe } from '../server/floe.js';
import { logTail } from './search.js';

interface KfpArtifact {
  artifact_id: string;
  download_url?: string;
  artifact_size?: string;
  namespace?: string;
  artifact_type?: string;
  uri?: string;
}

/** Records artifacts as a KFP launcher does: an execution of a pipeline run (context with `namespace`), with outputs. */
async function putArtifacts(base: string, namespace: string, run: string, artifacts: { type: string; uri: string }[], headers: Record<string, string> = {}): Promise<number[]> {
  const res = await fetch(`${base}/mlmd/v1/executions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({
      execution: { type: 'system.ContainerExecution', last_known_state: 'COMPLETE', custom_properties: { namespace: { string_value: namespace } } },
      artifact_event_pairs: artifacts.map((a, i) => ({ artifact: { ...a, state: 'LIVE' }, event: { type: 'OUTPUT', path: { steps: [{ key: `out${i}` }] } } })),
      contexts: [{ type: 'system.PipelineRun', name: run, custom_properties: { namespace: { string_value: namespace } } }],
    }),
  });
  const body = (await res.json()) as { artifact_ids: number[] };
  assert.equal(res.status, 200, JSON.stringify(body));
  return body.artifact_ids;
}

describe('dashboard: artifact previews and search on a default (loopback) Floe', () => {
  let dir: string;
  let floe: Floe;
  let pipelines: string;
  let ids: number[] = [];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'floe-dash-previews-'));
    floe = await startFloe({ ...defaultConfig(), dataDir: join(dir, 'data'), port: 0, logLevel: 'silent', controllers: true, runPods: false });
    pipelines = join(dir, 'data', 'pipelines', 'artifacts', 'p', 'run-1', 'report', 'x');
    await mkdir(pipelines, { recursive: true });
    await writeFile(join(pipelines, 'notes'), '# Report\n\n<script>alert(1)</script>\n');
    await writeFile(join(pipelines, 'page'), '<h1>hi</h1><script>parent.alert(1)</script>');
    await writeFile(join(pipelines, 'model.bin'), Buffer.from([0, 1, 2, 3]));
    await writeFile(join(dir, 'secret.txt'), 'outside');
    await symlink(join(dir, 'secret.txt'), join(pipelines, 'escape'));
    ids = await putArtifacts(floe.url, 'default', 'run-1', [
      { type: 'system.Markdown', uri: `file://${join(pipelines, 'notes')}` },
      { type: 'system.HTML', uri: join(pipelines, 'page') },
      { type: 'system.Model', uri: join(pipelines, 'model.bin') },
      { type: 'system.Markdown', uri: '/etc/passwd' },
      { type: 'system.Markdown', uri: join(dir, 'secret.txt') },
      { type: 'system.Markdown', uri: `${join(dir, 'data', 'pipelines')}/../floe.db` },
      { type: 'system.Markdown', uri: join(pipelines, 'escape') },
      { type: 'system.Markdown', uri: pipelines },
      { type: 'system.Markdown', uri: join(pipelines, 'missing') },
    ]);
  });
  after(async () => {
    await floe?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const artifact = async (id: number, view = 'DOWNLOAD'): Promise<KfpArtifact> => {
    const res = await fetch(`${floe.url}/apis/v2beta1/artifacts/${id}?view=${view}`);
    assert.equal(res.status, 200);
    return (await res.json()) as KfpArtifact;
  };

  test('KFP\'s GetArtifact names the file and its download URL; the file comes as text, sandboxed HTML or a download', async () => {
    const md = await artifact(ids[0]!);
    assert.deepEqual([md.artifact_id, md.artifact_type, md.namespace, md.artifact_size, md.download_url], [String(ids[0]), 'system.Markdown', 'default', '36', `/apis/v2beta1/artifacts/${ids[0]}:download`]);
    assert.equal((await artifact(ids[0]!, 'BASIC')).download_url, undefined);
    const text = await fetch(`${floe.url}${md.download_url}`);
    assert.equal(text.status, 200);
    assert.match(text.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(text.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(await text.text(), '# Report\n\n<script>alert(1)</script>\n');
    const html = await fetch(`${floe.url}${(await artifact(ids[1]!)).download_url}`);
    assert.match(html.headers.get('content-type') ?? '', /^text\/html/);
    const policy = html.headers.get('content-security-policy') ?? '';
    assert.match(policy, /^sandbox; default-src 'none'/);
    assert.doesNotMatch(policy, /allow-scripts|script-src/);
    const bin = await fetch(`${floe.url}${(await artifact(ids[2]!)).download_url}`);
    assert.equal(bin.headers.get('content-type'), 'application/octet-stream');
    assert.match(bin.headers.get('content-disposition') ?? '', /^attachment/);
    assert.deepEqual([...new Uint8Array(await bin.arrayBuffer())], [0, 1, 2, 3]);
    assert.equal((await fetch(`${floe.url}/apis/v2beta1/artifacts/${ids[0]}?view=EVERYTHING`)).status, 400);
    assert.equal((await fetch(`${floe.url}/apis/v2beta1/artifacts/999999`)).status, 404);
  });

  test('nothing outside the pipelines folder: absolute paths, climbing out, symlinks, folders, missing files', async () => {
    for (const id of ids.slice(3)) {
      const a = await artifact(id);
      assert.equal(a.download_url, undefined, a.uri);
      const res = await fetch(`${floe.url}/apis/v2beta1/artifacts/${id}:download`);
      assert.equal(res.status, 404, `${a.uri}: ${res.status}`);
      assert.doesNotMatch(await res.text(), /outside|SQLite|root:/, a.uri);
    }
    assert.equal((await fetch(`${floe.url}/apis/v2beta1/artifacts/${ids[0]}:download`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status, 405);
  });

  test('search keeps a bounded tail of a long log, read as a stream, with the lines\' numbers', async () => {
    // 40 MiB of numbered lines in 64 KiB chunks, made as they are read: only the last 256 KiB may be kept.
    const line = (i: number) => `line ${String(i).padStart(8, '0')} ${'x'.repeat(50)}\n`;
    const lineBytes = line(0).length;
    const total = Math.floor((40 << 20) / lineBytes);
    let largestKept = 0;
    let given = 0;
    const node = {
      podLog: () => Promise.reject(new Error('the whole log must not be read')),
      async *podLogStream() {
        const perChunk = Math.floor((64 << 10) / lineBytes);
        for (let i = 0; i < total; i += perChunk) {
          const parts: string[] = [];
          for (let j = i; j < Math.min(total, i + perChunk); j++) parts.push(line(j + 1));
          const chunk = Buffer.from(parts.join(''));
          given += chunk.length;
          await new Promise((r) => setImmediate(r)); // as a file read would
          yield chunk;
        }
      },
    };
    const tail = await logTail(node, 'default', 'p', 'c', 256 << 10);
    largestKept = Buffer.byteLength(tail.text);
    assert.equal(given, total * lineBytes);
    assert.ok(largestKept <= 256 << 10, `kept ${largestKept} bytes`);
    assert.equal(tail.skippedBytes + largestKept, given);
    const lines = tail.text.split('\n').filter(Boolean);
    assert.equal(lines[0], line(tail.skippedLines + 1).trimEnd(), 'the tail starts at a whole line, numbered after what was skipped');
    assert.equal(lines.at(-1), line(total).trimEnd());
    // A short log is whole, from line 1.
    const short = await logTail({ podLog: () => Promise.resolve('a\nb\n') }, 'default', 'p', 'c', 256 << 10);
    assert.deepEqual(short, { text: 'a\nb\n', skippedBytes: 0, skippedLines: 0 });
  });

  test('search: events matched by text, bounded input', async () => {
    await floe.client.create({ apiVersion: 'v1', kind: 'Event', metadata: { name: 'x.1', namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'trainer-0', namespace: 'default' }, reason: 'BackOff', type: 'Warning', message: 'Back-off restarting failed container' } as never);
    const res = await fetch(`${floe.url}/api/dashboard/search?namespace=default&q=${encodeURIComponent('back-OFF restarting')}`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { events: { reason: string; object: string }[]; logs: unknown[]; denied: string[] };
    assert.deepEqual(body.events.map((e) => [e.reason, e.object]), [['BackOff', 'Pod/trainer-0']]);
    assert.deepEqual(body.denied, []);
    assert.equal((await fetch(`${floe.url}/api/dashboard/search?namespace=default&q=x`)).status, 400);
    assert.equal((await fetch(`${floe.url}/api/dashboard/search?namespace=Not_A_Namespace&q=xyz`)).status, 400);
    assert.equal((await fetch(`${floe.url}/api/dashboard/search?namespace=default&q=${'y'.repeat(201)}`)).status, 400);
  });
});

describe('dashboard: search and previews with tokens, in multi-user mode', () => {
  let dir: string;
  let floe: Floe;
  let ca: string;
  const admin = 'prev-admin-token-0123456789';
  const alice = 'prev-alice-token-0123456789';
  const bob = 'prev-bob-token-01234567890';
  let artifactA = 0;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'floe-dash-previews-auth-'));
    const tokenFile = join(dir, 'tokens.csv');
    await writeFile(tokenFile, `${alice},alice@example.com,alice-uid,"kubeflow-users"\n${bob},bob@example.com,bob-uid,"kubeflow-users"\n`, { mode: 0o600 });
    floe = await startFloe({ ...defaultConfig(), dataDir: join(dir, 'data'), port: 0, logLevel: 'silent', controllers: true, runPods: false, token: admin, tokenAuthFile: tokenFile, multiUser: true });
    ca = await readFile(join(dir, 'data', 'pki', 'ca.crt'), 'utf8');
    for (const [name, owner] of [['team-a', 'alice@example.com'], ['team-b', 'bob@example.com']] as const) {
      await floe.client.create({ apiVersion: 'kubeflow.org/v1', kind: 'Profile', metadata: { name }, spec: { owner: { kind: 'User', name: owner } } });
    }
    const folder = join(dir, 'data', 'pipelines', 'artifacts', 'report', 'run-a');
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'notes.md'), '# Team A\n');
    const put = await call('POST', '/mlmd/v1/executions', admin, {
      execution: { type: 'system.ContainerExecution', last_known_state: 'COMPLETE', custom_properties: { namespace: { string_value: 'team-a' } } },
      artifact_event_pairs: [{ artifact: { type: 'system.Markdown', uri: join(folder, 'notes.md'), state: 'LIVE' }, event: { type: 'OUTPUT' } }],
      contexts: [{ type: 'system.PipelineRun', name: 'run-a', custom_properties: { namespace: { string_value: 'team-a' } } }],
    });
    assert.equal(put.status, 200, put.text);
    artifactA = (JSON.parse(put.text) as { artifact_ids: number[] }).artifact_ids[0]!;
  });
  after(async () => {
    await floe?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** A call over HTTPS with Floe's CA: status and body. */
  const call = async (method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; text: string }> => {
    const { request } = await import('node:https');
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
      if (body !== undefined) headers['content-type'] = 'application/json';
      const req = request(new URL(path, floe.url), { method, ca, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  };
  const get = (path: string, token?: string) => call('GET', path, token);

  test('alice previews her namespace\'s artifact; bob may not; search: alice searches her own namespace, not bob\'s', async () => {
    // Profiles grant their owner edit rights a moment after they are created.
    let own = { status: 0, text: '' };
    for (let i = 0; i < 100 && own.status !== 200; i++) {
      own = await get(`/apis/v2beta1/artifacts/${artifactA}?view=DOWNLOAD`, alice);
      if (own.status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(own.status, 200, own.text);
    const a = JSON.parse(own.text) as KfpArtifact;
    assert.equal(a.namespace, 'team-a');
    const file = await get(a.download_url!, alice);
    assert.deepEqual(file, { status: 200, text: '# Team A\n' });
    for (const path of [`/apis/v2beta1/artifacts/${artifactA}?view=DOWNLOAD`, a.download_url!]) {
      const denied = await get(path, bob);
      assert.equal(denied.status, 403, path);
      assert.match(denied.text, /User 'bob@example.com' is not authorized/);
      assert.doesNotMatch(denied.text, /Team A/);
      assert.equal((await get(path)).status, 401);
    }
    // Nothing of another namespace through the old cluster-wide route either: it is gone.
    assert.equal((await get(`/api/dashboard/artifact-content?uri=${encodeURIComponent('/etc/passwd')}`, alice)).status, 404);

    assert.equal((await get('/api/dashboard/search?namespace=team-a&q=anything', alice)).status, 200);
    assert.equal((await get('/api/dashboard/search?namespace=team-b&q=anything', alice)).status, 403);
    assert.equal((await get('/api/dashboard/search?namespace=team-a&q=anything')).status, 401);
  });
});
