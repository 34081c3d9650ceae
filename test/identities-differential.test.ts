// ServiceAccount tokens, differential: the same kubectl commands against the real kube-apiserver 1.32 and Floe give
// tokens with the same claims (shape and values that do not depend on the server) and the same TokenReview answers.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig } from '../src/server/config.js';
import { startFloe, type Floe } from '../src/server/floe.js';
import { controlPlaneUnavailable, startControlPlane, type ControlPlane } from './helpers/control-plane.js';

function kubectl(kubeconfig: string, args: string[], stdin = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('kubectl', ['--kubeconfig', kubeconfig, ...args], { timeout: 60_000 }, (err, stdout, stderr) => (err ? reject(new Error(`kubectl ${args.join(' ')}: ${stderr}`)) : resolve(stdout)));
    child.stdin?.end(stdin);
  });
}

interface Observed {
  header: string[];
  claims: Record<string, unknown>;
  review: Record<string, unknown>;
  boundClaims: Record<string, unknown>;
  boundReview: Record<string, unknown>;
  audienceReview: Record<string, unknown>;
}

function decode(token: string, part: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[part] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** Replaces what differs by server (uids, times, ids) with its type, keeping the structure and the fixed values. */
function shape(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => shape(v, key));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, shape(v, k)]));
  if (['uid', 'jti', 'exp', 'iat', 'nbf'].includes(key)) return `<${typeof value}>`;
  if (typeof value === 'string' && /^JTI=/.test(value)) return 'JTI=<id>';
  if (typeof value === 'string' && /^[0-9a-f-]{36}$/.test(value)) return '<uid>';
  return value;
}

async function observe(kubeconfig: string, ns: string): Promise<Observed> {
  await kubectl(kubeconfig, ['create', 'namespace', ns]);
  await kubectl(kubeconfig, ['create', 'serviceaccount', 'robot', '-n', ns]);
  // Never scheduled (no node matches), so neither server adds a node to the bound token.
  await kubectl(kubeconfig, ['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'holder', namespace: ns }, spec: { serviceAccountName: 'robot', nodeSelector: { 'floe.test/none': 'x' }, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '1'] }] } }));
  const review = async (token: string, audiences?: string[]): Promise<Record<string, unknown>> => {
    const out = await kubectl(kubeconfig, ['create', '-f', '-', '-o', 'json'], JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, ...(audiences ? { audiences } : {}) } }));
    return (JSON.parse(out) as { status: Record<string, unknown> }).status;
  };
  const token = (await kubectl(kubeconfig, ['create', 'token', 'robot', '-n', ns])).trim();
  const bound = (await kubectl(kubeconfig, ['create', 'token', 'robot', '-n', ns, '--bound-object-kind', 'Pod', '--bound-object-name', 'holder', '--duration', '15m'])).trim();
  const other = (await kubectl(kubeconfig, ['create', 'token', 'robot', '-n', ns, '--audience', 'https://vault.example'])).trim();
  const claims = decode(token, 1);
  assert.equal((claims.exp as number) - (claims.iat as number), 3600);
  const boundClaims = decode(bound, 1);
  assert.equal((boundClaims.exp as number) - (boundClaims.iat as number), 900);
  return {
    header: Object.keys(decode(token, 0)).sort(),
    claims,
    review: await review(token),
    boundClaims,
    boundReview: await review(bound),
    audienceReview: await review(other, ['https://vault.example']),
  };
}

const unavailable = controlPlaneUnavailable();

describe('ServiceAccount tokens against the real kube-apiserver', { skip: unavailable ?? false }, () => {
  let plane: ControlPlane;
  let floe: Floe;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'floe-sadiff-'));
    [plane, floe] = await Promise.all([startControlPlane(), startFloe({ ...defaultConfig(), dataDir: dir, port: 0, logLevel: 'silent', token: randomBytes(24).toString('hex') })]);
  });
  after(async () => {
    await Promise.all([plane?.stop(), floe?.stop()]);
    await rm(dir, { recursive: true, force: true });
  });

  test('kubectl create token (plain, --audience, Pod-bound) and TokenReview answer alike', async () => {
    const ns = `sa-diff-${randomBytes(3).toString('hex')}`;
    const [real, ours] = await Promise.all([observe(plane.kubeconfig, ns), observe(floe.kubeconfigPath, ns)]);
    assert.deepEqual(ours.header, real.header);
    assert.deepEqual(shape(ours.claims), shape(real.claims));
    assert.deepEqual(shape(ours.boundClaims), shape(real.boundClaims));
    assert.deepEqual(shape(ours.review), shape(real.review));
    assert.deepEqual(shape(ours.boundReview), shape(real.boundReview));
    assert.deepEqual(shape(ours.audienceReview), shape(real.audienceReview));
  });
});
