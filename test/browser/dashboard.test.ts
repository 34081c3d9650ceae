// The dashboard in a real browser (Debian's chromium via playwright-core) against a real embedded Floe: each page's
// main job, as a user does it — upload a pipeline and watch its graph reach Succeeded, create a Katib experiment and
// see its plot, promote a canary, open the notebooks page — with a screenshot and an axe-core scan of every page.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { PatchType } from '../../src/client/client.js';
import { startEmbeddedFloe, type EmbeddedFloe } from '../helpers/embedded-floe.js';
import { waitFor } from '../helpers/wait.js';
import { checkPage, chromiumArgs, chromiumPath, root, screenshotPath, skipReason, watchPage } from './harness.js';

const skip = skipReason();
if (skip) console.error(`[browser] skipped: ${skip}`);

describe('dashboard in chromium', { skip }, () => {
  let floe: EmbeddedFloe;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let problems: string[] = [];

  before(async () => {
    floe = await startEmbeddedFloe('floe-browser-');
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
    context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    page = await context.newPage();
    problems = watchPage(page);
  });
  after(async () => {
    await browser?.close();
    await floe?.stop();
  });

  const url = (path: string) => `${floe.floe.url}/ui${path}`;

  const check = (name: string): Promise<void> => checkPage(page, name, problems);

  test('home: the shell, the namespace selector and keyboard navigation', async () => {
    await page.goto(url('/?ns=default'));
    await page.getByRole('heading', { name: 'Namespace default' }).waitFor();
    await check('home');
    // Keyboard: the first Tab reaches the skip link; the section links are reachable and open with Enter.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement?.textContent'), 'Skip to content');
    await page.getByRole('link', { name: 'Runs', exact: true }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Runs', level: 1 }).waitFor();
    assert.match(page.url(), /\/ui\/runs\?ns=default$/);
  });

  test('pipelines: upload a compiled pipeline, start a run from its form, watch the graph reach Succeeded, read a task\'s logs', async () => {
    await page.goto(url('/pipelines?ns=default'));
    await page.getByRole('heading', { name: 'Pipelines', level: 1 }).waitFor();
    const fixture = join(root, 'test', 'browser', 'fixtures', 'hello-pipeline.yaml');
    await page.locator('input[type=file]').first().setInputFiles({ name: 'hello-pipeline.yaml', mimeType: 'application/x-yaml', buffer: await readFile(fixture) });
    await page.getByLabel('Pipeline name').fill('hello-dashboard');
    await page.getByRole('button', { name: 'Upload' }).first().click();
    await page.getByRole('heading', { name: 'hello-dashboard', level: 1 }).waitFor();
    await page.getByLabel('greeting').fill('from the browser');
    await check('pipeline');
    await page.getByRole('button', { name: 'Start run' }).click();
    await page.getByTestId('run-graph').waitFor();
    // Live: the page polls; the state badge and every node turn SUCCEEDED without a reload.
    await page.getByTestId('run-state').getByText('SUCCEEDED').waitFor({ timeout: 120_000 });
    await waitFor(async () => (await page.locator('[data-node][data-state="SUCCEEDED"]').count()) === 2, { what: 'both nodes SUCCEEDED', timeoutMs: 30_000 });
    await page.locator('[data-node="say-hello"]').click();
    await page.getByTestId('task-logs').getByText('said from the browser').waitFor({ timeout: 30_000 });
    assert.match(page.url(), /task=say-hello/);
    await check('run');
    // The deep link opens the same view in a fresh page.
    const again = await context.newPage();
    await again.goto(page.url());
    await again.getByTestId('task-logs').getByText('said from the browser').waitFor({ timeout: 30_000 });
    await again.close();
  });

  test('runs: the list pages on the server', async () => {
    await page.goto(url('/runs?ns=default'));
    await page.getByRole('table', { name: 'Runs' }).getByRole('link').first().waitFor();
    await check('runs');
  });

  test('experiments: create a Katib experiment from YAML and see the objective plotted per trial', async () => {
    await page.goto(url('/experiments?ns=default'));
    await page.getByRole('heading', { name: 'Experiments (Katib)', level: 1 }).waitFor();
    const yaml = (await page.getByRole('textbox', { name: 'Experiment manifest' }).getAttribute('placeholder')) ?? '';
    await page.getByRole('textbox', { name: 'Experiment manifest' }).fill(yaml.replace('name: my-experiment', 'name: browser-tune').replace('maxTrialCount: 6', 'maxTrialCount: 3').replace('parallelTrialCount: 2', 'parallelTrialCount: 3'));
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByRole('heading', { name: 'browser-tune', level: 1 }).waitFor();
    await page.locator('[data-testid=chart] canvas').waitFor({ timeout: 180_000 });
    await page.getByText(/^Best trial: /).waitFor({ timeout: 180_000 });
    await check('experiment');
  });

  test('models: the traffic split of a canary, promote it, and a test request', async () => {
    const isvcRef = { apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService' };
    const ready = async () => {
      const o = await floe.floe.client.get<{ metadata: { name: string }; status?: { conditions?: { type: string; status: string }[]; components?: { predictor?: { traffic?: { percent?: number }[] } } } } & typeof isvcRef>(isvcRef, 'iris', 'default');
      return o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? o : undefined;
    };
    await floe.floe.client.create({ ...isvcRef, metadata: { name: 'iris', namespace: 'default' }, spec: { predictor: { model: { modelFormat: { name: 'onnx' }, storageUri: `file://${join(root, 'examples', 'serving', 'iris-onnx')}` } } } });
    await waitFor(ready, { what: 'iris Ready', timeoutMs: 60_000 });
    // A second revision taking 20%: KServe's canary rollout.
    await floe.floe.client.patch(isvcRef, 'iris', 'default', { spec: { predictor: { canaryTrafficPercent: 20, timeout: 30 } } }, PatchType.Merge);
    await waitFor(async () => (await ready())?.status?.components?.predictor?.traffic?.length === 2, { what: 'a 80/20 split', timeoutMs: 60_000 });
    await page.goto(url('/models/iris?ns=default'));
    const split = page.getByRole('table', { name: 'Traffic split' });
    await split.getByText('20%').waitFor();
    await split.getByText('80%').waitFor();
    await check('model-canary');
    await page.getByRole('button', { name: 'Promote canary' }).click();
    await split.getByText('100%').waitFor({ timeout: 60_000 });
    assert.equal(await page.getByTestId('canary-percent').textContent(), 'unset');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByTestId('test-answer').getByText(/predictions/).waitFor({ timeout: 30_000 });
    // Request metrics: sampled from Floe's serving metrics while the page is open, charted per revision.
    for (let i = 0; i < 3; i++) await page.getByRole('button', { name: 'Send' }).click();
    const charts = page.getByTestId('request-charts');
    for (const title of ['Requests per second', 'Latency', 'Errors per sample']) await charts.getByRole('img', { name: new RegExp(`^${title}: `) }).locator('canvas').waitFor({ timeout: 30_000 });
    await charts.getByRole('img', { name: /^Requests per second: iris/ }).waitFor();
    await check('model-promoted');
    await charts.screenshot({ path: await screenshotPath('model-request-charts') });
  });

  test('home: the newest objects and the Pods\' resource usage (metrics.k8s.io), from one call', async () => {
    // A Pod that keeps a little busy, so that metrics.k8s.io has usage to report.
    const podRef = { apiVersion: 'v1', kind: 'Pod' };
    await floe.floe.client.create({ ...podRef, metadata: { name: 'home-busy', namespace: 'default' }, spec: { containers: [{ name: 'loop', image: 'python:3.11', command: ['python3', '-c', 'import time\nwhile True: sum(range(20000)); time.sleep(0.02)'] }] } });
    const calls: string[] = [];
    const listen = (r: { url(): string }) => calls.push(new URL(r.url()).pathname);
    page.on('request', listen);
    await page.goto(url('/?ns=default'));
    const models = page.getByRole('region', { name: 'Model endpoints' });
    await models.getByRole('link', { name: 'iris' }).waitFor();
    // The running Pod is in the usage card, with its CPU and memory.
    const usage = page.getByRole('region', { name: 'Resource usage' });
    await usage.getByTestId('usage-total').getByText(/^\d+ Pods? using \S+ CPU and [\d.]+ (B|KiB|MiB|GiB) of memory$/).waitFor({ timeout: 30_000 });
    await usage.getByRole('table', { name: 'Busiest Pods' }).getByRole('cell', { name: 'home-busy' }).waitFor();
    await page.getByRole('region', { name: 'Recent runs' }).getByRole('link').nth(1).waitFor();
    page.off('request', listen);
    // Experiments, jobs, endpoints and usage came in one request, not one per kind (counted from Home's document on:
    // the page before it may still have had a poll in flight).
    const home = calls.slice(calls.indexOf('/ui/'));
    assert.equal(home.filter((p) => p.startsWith('/apis/kubeflow.org/') || p.startsWith('/apis/serving.kserve.io/') || p.startsWith('/apis/metrics.k8s.io/')).length, 0, home.join(' '));
    assert.ok(home.includes('/api/dashboard/home'), home.join(' '));
    await check('home-usage');
    await floe.floe.client.delete(podRef, 'home-busy', 'default');
  });

  test('notebooks: launch one through the Jupyter web app API, see it listed, stop it', async () => {
    await page.goto(url('/notebooks?ns=default'));
    await page.getByRole('heading', { name: 'Notebooks', level: 1 }).waitFor();
    await page.getByRole('table', { name: 'Notebooks' }).or(page.getByText('Notebooks are not served by this Floe.')).first().waitFor();
    await check('notebooks');
    if (!(await page.getByRole('form', { name: 'New notebook' }).isVisible())) return;
    await page.getByRole('textbox', { name: 'Name' }).fill('nb-browser');
    await page.getByRole('button', { name: 'Launch' }).click();
    const row = page.getByRole('table', { name: 'Notebooks' }).getByRole('row').filter({ hasText: 'nb-browser' });
    await row.waitFor({ timeout: 30_000 });
    await row.getByRole('button', { name: 'Stop' }).click();
    await row.getByRole('button', { name: 'Start' }).waitFor({ timeout: 30_000 });
    await check('notebooks-stopped');
  });

  test('lineage: an artifact\'s upstream and downstream drawn from ML Metadata', async () => {
    // One execution that reads a dataset and writes a model, recorded as a user would through MLMD's PutExecution.
    const put = await fetch(`${floe.floe.url}/mlmd/v1/executions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        execution: { type: 'system.ContainerExecution', name: 'train-browser', last_known_state: 'COMPLETE', custom_properties: { task_name: { string_value: 'train' } } },
        artifact_event_pairs: [
          { artifact: { type: 'system.Dataset', uri: 'file:///tmp/browser-data', custom_properties: { display_name: { string_value: 'browser-data' } } }, event: { type: 'INPUT' } },
          { artifact: { type: 'system.Model', uri: 'file:///tmp/browser-model', custom_properties: { display_name: { string_value: 'browser-model' } } }, event: { type: 'OUTPUT' } },
        ],
      }),
    });
    assert.equal(put.status, 200, await put.clone().text());
    await page.goto(url('/lineage?ns=default'));
    await page.getByRole('heading', { name: 'Lineage', level: 1 }).waitFor();
    await page.getByRole('table', { name: 'Recent artifacts' }).getByText('browser-model', { exact: true }).waitFor();
    await page.getByRole('table', { name: 'Recent artifacts' }).getByRole('row').filter({ hasText: 'browser-model' }).getByRole('link').click();
    await page.getByRole('button', { name: /browser-data/ }).waitFor();
    await page.getByRole('button', { name: /^train/ }).waitFor();
    await check('lineage');
  });

  test('training jobs: the list opens; a job\'s replica Pods change live, by watch', async () => {
    await page.goto(url('/jobs?ns=default'));
    await page.getByRole('table', { name: 'Training jobs' }).waitFor();
    await check('jobs');
    await floe.floe.client.create({
      apiVersion: 'kubeflow.org/v1',
      kind: 'PyTorchJob',
      metadata: { name: 'watch-job', namespace: 'default' },
      spec: { pytorchReplicaSpecs: { Master: { replicas: 1, restartPolicy: 'Never', template: { spec: { containers: [{ name: 'pytorch', image: 'python:3.11', command: ['python3', '-c', 'import time; print("replica up", flush=True); time.sleep(6)'] }] } } } } },
    } as never);
    const calls: string[] = [];
    const listen = (r: { url(): string }) => calls.push(r.url());
    page.on('request', listen);
    await page.goto(url('/jobs/pytorchjobs/watch-job?ns=default'));
    const replicas = page.getByRole('table', { name: 'Replicas' });
    const row = replicas.getByRole('row').filter({ hasText: 'watch-job-master-0' });
    await row.getByLabel('state Running').waitFor({ timeout: 60_000 });
    await row.getByLabel('state Succeeded').waitFor({ timeout: 60_000 });
    // The job itself is watched too: its state follows without a reload.
    await page.getByRole('heading', { name: 'watch-job', level: 1 }).locator('..').getByLabel('state Succeeded').waitFor({ timeout: 60_000 });
    page.off('request', listen);
    // The Pods came by one list and a watch from its resourceVersion, not by polling the list.
    const podCalls = calls.filter((u) => new URL(u).pathname === '/api/v1/namespaces/default/pods');
    assert.ok(podCalls.some((u) => new URL(u).searchParams.get('watch') === '1'), podCalls.join(' '));
    assert.ok(podCalls.filter((u) => !new URL(u).searchParams.has('watch')).length <= 2, podCalls.join(' '));
    const jobCalls = calls.filter((u) => new URL(u).pathname === '/apis/kubeflow.org/v1/namespaces/default/pytorchjobs');
    assert.ok(jobCalls.some((u) => new URL(u).searchParams.get('watch') === '1'), jobCalls.join(' '));
    await check('job-watch');
  });
});
