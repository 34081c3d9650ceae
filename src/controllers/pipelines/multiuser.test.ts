// KFP's multi-user mode over HTTP: namespaces required where KFP requires them (with its wording), every call asked of
// the reviewer with KFP's SubjectAccessReview attributes (pipelines.kubeflow.org/v1beta1, resource, verb, the object's
// own namespace and name), lists filtered by namespace, a forged namespace filter refused, and runs defaulting to the
// default-editor ServiceAccount. The reviewer here is a fixed policy (who may do what where) so that the test states
// KFP's logic alone; test/isolation.test.ts drives the same API through Floe's real RBAC.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Caller, ResourceAttributes } from '../../controller/index.js';
import { PipelineDb } from './db.js';
import { kfpApiRoute } from './rest.js';
import type { RunEngine } from './types.js';

const spec = { pipelineInfo: { name: 'tiny' }, root: { dag: { tasks: {} } }, schemaVersion: '2.1.0', sdkVersion: 'kfp-2.17.3' };

/** alice may do anything in team-a, bob in team-b; the admin (system:masters) anything anywhere. */
const homes: Record<string, string> = { alice: 'team-a', bob: 'team-b' };

describe('KFP multi-user mode', () => {
  let dir: string;
  let db: PipelineDb;
  let server: Server;
  let base: string;
  const reviews: (ResourceAttributes & { version?: string; user: string })[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'floe-kfp-mu-'));
    db = new PipelineDb({ path: join(dir, 'pipelines.db') });
    const engine: RunEngine = { start: () => undefined, terminate: () => Promise.resolve(), retry: () => Promise.resolve() };
    const route = kfpApiRoute({
      db,
      engine,
      validate: () => [],
      multiUser: {
        review: (caller, attributes) => {
          reviews.push({ ...attributes, user: caller.name });
          if (caller.groups.includes('system:masters')) return Promise.resolve({ allowed: true });
          const allowed = attributes.namespace !== undefined && homes[caller.name] === attributes.namespace;
          return Promise.resolve(allowed ? { allowed } : { allowed, reason: 'no RBAC policy matched' });
        },
      },
    });
    // The test's front door: the caller is the x-user header (absent: no identity).
    server = createServer((req, res) => {
      const user = req.headers['x-user'] as string | undefined;
      const caller: Caller | undefined = user ? { name: user, groups: user === 'admin' ? ['system:masters'] : ['system:authenticated'] } : undefined;
      void route(req, res, new URL(req.url ?? '/', 'http://localhost'), caller);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function call(user: string | undefined, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    const headers: Record<string, string> = { ...(user ? { 'x-user': user } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
    const r = await fetch(`${base}/apis/v2beta1${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: r.status, json: (await r.json()) as Record<string, unknown> };
  }

  test('healthz reports multi_user; a call without identity is unauthenticated', async () => {
    assert.deepEqual((await call(undefined, 'GET', '/healthz')).json, { multi_user: true, pipeline_store: 'database' });
    const anon = await call(undefined, 'GET', '/experiments?namespace=team-a');
    assert.equal(anon.status, 401);
    assert.match(anon.json.message as string, /User identity is empty in the request header/);
  });

  test('experiments: namespace required, authorized in it, lists filtered, another namespace refused', async () => {
    const empty = await call('alice', 'POST', '/experiments', { display_name: 'e' });
    assert.equal(empty.status, 400);
    assert.match(empty.json.message as string, /An experiment cannot have an empty namespace in multi-user mode/);
    reviews.length = 0;
    const created = await call('alice', 'POST', '/experiments', { display_name: 'alice-exp', namespace: 'team-a' });
    assert.equal(created.status, 200, JSON.stringify(created.json));
    assert.deepEqual(reviews, [{ verb: 'create', group: 'pipelines.kubeflow.org', version: 'v1beta1', resource: 'experiments', namespace: 'team-a', name: 'alice-exp', user: 'alice' }]);
    const foreign = await call('bob', 'POST', '/experiments', { display_name: 'sneaky', namespace: 'team-a' });
    assert.equal(foreign.status, 403);
    assert.equal(foreign.json.code, 7);
    assert.match(
      foreign.json.message as string,
      /PermissionDenied: User 'bob' is not authorized with reason: no RBAC policy matched \(request: &ResourceAttributes\{Namespace:team-a,Verb:create,Group:pipelines.kubeflow.org,Version:v1beta1,Resource:experiments,Subresource:,Name:sneaky,\}\)/,
    );
    await call('bob', 'POST', '/experiments', { display_name: 'bob-exp', namespace: 'team-b' });
    const noNs = await call('alice', 'GET', '/experiments');
    assert.equal(noNs.status, 400);
    const mine = await call('alice', 'GET', '/experiments?namespace=team-a');
    assert.deepEqual((mine.json.experiments as { display_name: string }[]).map((e) => e.display_name), ['alice-exp']);
    assert.equal((await call('alice', 'GET', '/experiments?namespace=team-b')).status, 403);
    const id = created.json.experiment_id as string;
    assert.equal((await call('bob', 'GET', `/experiments/${id}`)).status, 403);
    assert.equal((await call('bob', 'POST', `/experiments/${id}:archive`)).status, 403);
    assert.equal((await call('bob', 'DELETE', `/experiments/${id}`)).status, 403);
    assert.equal((await call('alice', 'GET', `/experiments/${id}`)).status, 200);
  });

  test('runs: namespace from the experiment, default-editor, every verb authorized, forged filters refused', async () => {
    const exp = await call('alice', 'POST', '/experiments', { display_name: 'runs-exp', namespace: 'team-a' });
    const experimentId = exp.json.experiment_id as string;
    const noExp = await call('alice', 'POST', '/runs', { display_name: 'r', pipeline_spec: spec });
    assert.equal(noExp.status, 400);
    assert.match(noExp.json.message as string, /A run cannot have an empty namespace in multi-user mode/);
    assert.equal((await call('bob', 'POST', '/runs', { display_name: 'r', experiment_id: experimentId, pipeline_spec: spec })).status, 403);
    const run = await call('alice', 'POST', '/runs', { display_name: 'r1', experiment_id: experimentId, pipeline_spec: spec });
    assert.equal(run.status, 200, JSON.stringify(run.json));
    assert.equal(run.json.service_account, 'default-editor');
    const runId = run.json.run_id as string;
    assert.equal(db.getRun(runId)?.namespace, 'team-a');
    for (const [method, path] of [['GET', `/runs/${runId}`], ['DELETE', `/runs/${runId}`], ['POST', `/runs/${runId}:terminate`], ['POST', `/runs/${runId}:archive`], ['POST', `/runs/${runId}:retry`]] as const) {
      reviews.length = 0;
      assert.equal((await call('bob', method, path)).status, 403, `${method} ${path}`);
      assert.equal(reviews[0]?.namespace, 'team-a');
      assert.equal(reviews[0]?.resource, 'runs');
    }
    assert.equal(reviews[0]?.verb, 'retry');
    // Listing: a namespace or an experiment is required; bob's forged filters get nothing of alice's.
    assert.equal((await call('bob', 'GET', '/runs')).status, 400);
    assert.equal((await call('bob', 'GET', `/runs?experiment_id=${experimentId}`)).status, 403);
    assert.equal((await call('bob', 'GET', `/runs?experiment_id=${experimentId}&namespace=team-b`)).status, 400);
    assert.equal((await call('bob', 'GET', '/runs?namespace=team-a')).status, 403);
    assert.equal((await call('bob', 'GET', '/runs?namespace=team-b')).json.runs, undefined);
    const aliceRuns = await call('alice', 'GET', `/runs?experiment_id=${experimentId}`);
    assert.deepEqual((aliceRuns.json.runs as { run_id: string }[]).map((r) => r.run_id), [runId]);
  });

  test('recurring runs are "jobs" in the namespace of their experiment', async () => {
    const exp = await call('alice', 'POST', '/experiments', { display_name: 'rr-exp', namespace: 'team-a' });
    const body = { display_name: 'nightly', experiment_id: exp.json.experiment_id, pipeline_spec: spec, trigger: { periodic_schedule: { interval_second: '3600' } }, mode: 'DISABLE' };
    reviews.length = 0;
    assert.equal((await call('bob', 'POST', '/recurringruns', body)).status, 403);
    assert.equal(reviews[0]?.resource, 'jobs');
    const rr = await call('alice', 'POST', '/recurringruns', body);
    assert.equal(rr.status, 200, JSON.stringify(rr.json));
    assert.equal(rr.json.namespace, 'team-a');
    assert.equal(rr.json.service_account, 'default-editor');
    const id = rr.json.recurring_run_id as string;
    assert.equal((await call('bob', 'GET', `/recurringruns/${id}`)).status, 403);
    assert.equal((await call('bob', 'POST', `/recurringruns/${id}:enable`)).status, 403);
    assert.equal((await call('bob', 'DELETE', `/recurringruns/${id}`)).status, 403);
    assert.equal((await call('bob', 'GET', '/recurringruns?namespace=team-a')).status, 403);
    assert.equal((await call('alice', 'GET', `/recurringruns/${id}`)).status, 200);
  });

  test('pipelines: namespaced ones are private to their namespace, shared ones readable by everyone', async () => {
    const priv = await call('alice', 'POST', '/pipelines', { name: 'alice-pipe', namespace: 'team-a' });
    assert.equal(priv.status, 200, JSON.stringify(priv.json));
    // Shared pipelines are created by someone allowed cluster-wide.
    assert.equal((await call('alice', 'POST', '/pipelines', { name: 'shared-by-alice' })).status, 403);
    assert.equal((await call('admin', 'POST', '/pipelines', { name: 'shared' })).status, 200);
    const id = priv.json.pipeline_id as string;
    assert.equal((await call('bob', 'GET', `/pipelines/${id}`)).status, 403);
    assert.equal((await call('bob', 'GET', `/pipelines/${id}/versions`)).status, 403);
    assert.equal((await call('bob', 'DELETE', `/pipelines/${id}`)).status, 403);
    assert.equal((await call('bob', 'GET', '/pipelines?namespace=team-a')).status, 403);
    const bobs = await call('bob', 'GET', '/pipelines?namespace=team-b');
    assert.deepEqual((bobs.json.pipelines as { name: string }[]).map((p) => p.name), ['shared']);
    const sharedOnly = await call('bob', 'GET', '/pipelines');
    assert.deepEqual((sharedOnly.json.pipelines as { name: string }[]).map((p) => p.name), ['shared']);
    const alices = await call('alice', 'GET', '/pipelines?namespace=team-a');
    assert.deepEqual((alices.json.pipelines as { name: string }[]).map((p) => p.name).sort(), ['alice-pipe', 'shared']);
    assert.equal((await call('bob', 'GET', '/pipelines/names/alice-pipe?namespace=team-a')).status, 403);
  });
});
