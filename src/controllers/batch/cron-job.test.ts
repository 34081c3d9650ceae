// The CronJob controller on a real Floe (Jobs run by the real Job controller and local runtime), its clock manual.
/* eslint-disable no-restricted-imports -- tests are composition roots: they start the server that runs this controller */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '../../client/client.js';
import { EventRef, ManualClock, Manager, type KubeEvent } from '../../controller/index.js';
import { killRecordedProcesses, silentLogger } from '../../../test/helpers/kubelet-harness.js';
import { defaultConfig } from '../../server/config.js';
import { startFloe, type Floe } from '../../server/floe.js';
import { freshNamespace } from '../../../test/helpers/fixtures.js';
import { waitFor } from '../../../test/helpers/wait.js';
import { CronJobRef, ScheduledTimestampAnnotation, addCronJobController, jobNameFor, type CronJob } from './cron-job.js';
import { JobRef, addJobController, type Job } from './job-controller.js';

describe('batch/v1 CronJob controller (embedded, manual clock)', () => {
  let floe: Floe;
  let client: Client;
  let dataDir: string;
  let clock: ManualClock;
  const stop = new AbortController();
  let managers: Promise<void>[] = [];

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'floe-cron-'));
    floe = await startFloe({ ...defaultConfig(), dataDir, port: 0, logLevel: 'silent', runPods: true, controllers: false, kubeletTiming: { heartbeatMs: 1000, pollMs: 50, crashLoopInitialMs: 200, crashLoopMaxMs: 800, resyncMs: 1000, configRetryMs: 200 } });
    client = floe.client;
    // Whole minutes from now: the CronJobs' creation times are real, the controller's "now" is the manual clock.
    clock = new ManualClock({ startMs: Date.now() });
    const log = silentLogger();
    const jobs = new Manager({ client, log });
    addJobController(jobs);
    const cron = new Manager({ client, log, clock });
    addCronJobController(cron, { clock });
    managers = [jobs.start(stop.signal), cron.start(stop.signal)];
  });

  after(async () => {
    stop.abort();
    await Promise.all(managers);
    await floe.stop();
    killRecordedProcesses(dataDir);
    await rm(dataDir, { recursive: true, force: true });
  });

  const cronJob = (ns: string, name: string, spec: Partial<CronJob['spec']>, command = ['true']): CronJob => ({
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: ns },
    spec: {
      schedule: '* * * * *',
      jobTemplate: { metadata: { labels: { team: 'a' } }, spec: { template: { spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: 'busybox', command }] } } } },
      ...spec,
    },
  });
  /** Advances the manual clock once the controller has asked to come back (its requeue timer is set). */
  const tick = async (ms: number): Promise<void> => {
    await waitFor(() => clock.pendingDelays().some((d) => d > 0 && d <= ms), { what: 'a requeue timer within reach' });
    clock.advance(ms);
  };
  const jobsOf = async (ns: string): Promise<Job[]> => (await client.list<Job>(JobRef, { namespace: ns })).items.filter((j) => !j.metadata.deletionTimestamp);
  const events = async (ns: string, name: string): Promise<string[]> =>
    (await client.list<KubeEvent>(EventRef, { namespace: ns })).items.filter((e) => e.involvedObject.name === name).map((e) => `${e.reason ?? ''}: ${e.message ?? ''}`);
  const eventually = (ns: string, name: string, pattern: RegExp): Promise<string[]> =>
    waitFor(async () => {
      const all = await events(ns, name);
      return all.some((e) => pattern.test(e)) ? all : undefined;
    }, { what: `an event matching ${pattern}` });
  const get = (ns: string, name: string): Promise<CronJob> => client.get<CronJob>(CronJobRef, name, ns);

  test('Allow: a Job per schedule time, named by its minute, annotated, owned; status follows it to completion', async () => {
    const ns = await freshNamespace(client, 'cron-allow');
    await client.create(cronJob(ns, 'tick', { successfulJobsHistoryLimit: 1 }));
    await tick(60_000);
    const [job] = await waitFor(async () => {
      const list = await jobsOf(ns);
      return list.length === 1 ? list : undefined;
    }, { what: 'the first Job' });
    const scheduled = Math.floor(clock.now() / 60_000) * 60_000;
    assert.equal(job?.metadata.name, jobNameFor('tick', scheduled));
    assert.equal(job?.metadata.annotations?.[ScheduledTimestampAnnotation], new Date(scheduled).toISOString().replace('.000Z', 'Z'));
    assert.equal(job?.metadata.labels?.team, 'a');
    assert.equal(job?.metadata.ownerReferences?.[0]?.kind, 'CronJob');
    assert.equal(job?.metadata.ownerReferences?.[0]?.controller, true);
    const cj = await waitFor(async () => {
      const c = await get(ns, 'tick');
      return c.status?.lastScheduleTime ? c : undefined;
    }, { what: 'lastScheduleTime' });
    assert.equal(Date.parse(cj.status?.lastScheduleTime ?? ''), scheduled);
    await eventually(ns, 'tick', new RegExp(`^SuccessfulCreate: Created job ${job?.metadata.name ?? ''}$`));
    // The Job completes for real; the next reconcile (the next minute) sees it.
    await waitFor(async () => (await client.get<Job>(JobRef, job?.metadata.name ?? '', ns)).status?.conditions?.some((c) => c.type === 'Complete'), { what: 'the Job complete', timeoutMs: 30_000 });
    await tick(60_000);
    const done = await waitFor(async () => {
      const c = await get(ns, 'tick');
      return c.status?.lastSuccessfulTime && (await jobsOf(ns)).length >= 1 && Date.parse(c.status.lastScheduleTime ?? '') > scheduled ? c : undefined;
    }, { what: 'the second schedule and lastSuccessfulTime' });
    assert.ok(done.status?.lastSuccessfulTime);
    await eventually(ns, 'tick', /^SawCompletedJob: Saw completed job: tick-\d+, condition: Complete$/);
    // successfulJobsHistoryLimit 1: once the second completes, the first is deleted.
    await waitFor(async () => (await jobsOf(ns)).every((j) => j.status?.conditions?.some((c) => c.type === 'Complete')), { what: 'the second Job complete', timeoutMs: 30_000 });
    await tick(60_000);
    await eventually(ns, 'tick', new RegExp(`^SuccessfulDelete: Deleted job ${job?.metadata.name ?? ''}$`));
  });

  test('Forbid skips while a Job runs; Replace deletes the running one', async () => {
    const ns = await freshNamespace(client, 'cron-forbid');
    await client.create(cronJob(ns, 'forbid', { concurrencyPolicy: 'Forbid' }, ['sleep', '3600']));
    await client.create(cronJob(ns, 'replace', { concurrencyPolicy: 'Replace' }, ['sleep', '3600']));
    await tick(60_000);
    await waitFor(async () => (await jobsOf(ns)).length === 2, { what: 'one Job each' });
    const firstReplace = (await jobsOf(ns)).find((j) => j.metadata.name?.startsWith('replace-'))?.metadata.name ?? '';
    await waitFor(async () => (await get(ns, 'forbid')).status?.active?.length === 1 && (await get(ns, 'replace')).status?.active?.length === 1, { what: 'both active' });
    await tick(60_000);
    await eventually(ns, 'forbid', /^JobAlreadyActive: Not starting job because prior execution is running and concurrency policy is Forbid$/);
    await eventually(ns, 'replace', new RegExp(`^SuccessfulDelete: Deleted job ${firstReplace}$`));
    const after = await waitFor(async () => {
      const c = await get(ns, 'replace');
      return c.status?.active?.length === 1 && c.status.active[0]?.name !== firstReplace ? c : undefined;
    }, { what: 'the replacement active' });
    assert.notEqual(after.status?.active?.[0]?.name, firstReplace);
    assert.equal((await jobsOf(ns)).filter((j) => j.metadata.name?.startsWith('forbid-')).length, 1);
  });

  test('suspend starts nothing; more than 100 missed times warn and start only the latest', async () => {
    const ns = await freshNamespace(client, 'cron-missed');
    await client.create(cronJob(ns, 'late', {}));
    await client.create(cronJob(ns, 'paused', { suspend: true }));
    await tick(200 * 60_000);
    await eventually(ns, 'late', /^TooManyMissedTimes: too many missed start times: \d+\. Set or decrease \.spec\.startingDeadlineSeconds or check clock skew$/);
    const jobs = await waitFor(async () => {
      const list = await jobsOf(ns);
      return list.length >= 1 ? list : undefined;
    }, { what: 'the latest Job' });
    assert.deepEqual(jobs.map((j) => j.metadata.name), [jobNameFor('late', Math.floor(clock.now() / 60_000) * 60_000)]);
    assert.equal((await get(ns, 'paused')).status?.lastScheduleTime, undefined);
  });

  test('spec.timeZone writes the scheduled timestamp in that zone', async () => {
    const ns = await freshNamespace(client, 'cron-zone');
    await client.create(cronJob(ns, 'tokyo', { timeZone: 'Asia/Tokyo' }));
    await tick(60_000);
    const [job] = await waitFor(async () => {
      const list = await jobsOf(ns);
      return list.length === 1 ? list : undefined;
    }, { what: 'the Job' });
    assert.match(job?.metadata.annotations?.[ScheduledTimestampAnnotation] ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:00\+09:00$/);
  });
});
