// Katib's create-from-form (with a trial template from a trial-templates ConfigMap) and its parallel-coordinates plot,
// and the logs and events search page, in chromium against a real embedded Floe; screenshots and axe-core scans.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startEmbeddedFloe, type EmbeddedFloe } from '../helpers/embedded-floe.js';
import { waitFor } from '../helpers/wait.js';
import { checkPage, chromiumArgs, chromiumPath, skipReason, watchPage } from './harness.js';

const skip = skipReason();
if (skip) console.error(`[browser] skipped: ${skip}`);

// A trial template as a user adds one: a ConfigMap labelled like Katib's, in the experiment's namespace.
const quickJob = `apiVersion: batch/v1
kind: Job
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: training
          image: python:3.11
          command: ["python3", "-c", "print('loss=' + str(abs(\${trialParameters.learningRate} - 0.05) + \${trialParameters.momentum}))"]
`;

describe('dashboard: Katib form and parallel coordinates, logs and events search', { skip }, () => {
  let floe: EmbeddedFloe;
  let browser: Browser;
  let page: Page;
  let problems: string[] = [];

  before(async () => {
    floe = await startEmbeddedFloe('floe-browser-katib-');
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
    page = await (await browser.newContext({ viewport: { width: 1360, height: 900 } })).newPage();
    problems = watchPage(page);
  });
  after(async () => {
    await browser?.close();
    await floe?.stop();
  });

  const url = (path: string) => `${floe.floe.url}/ui${path}`;

  const check = (name: string): Promise<void> => checkPage(page, name, problems);

  test('Katib: create an experiment from the form with a ConfigMap trial template, see parallel coordinates', async () => {
    await floe.floe.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'my-templates', namespace: 'default', labels: { 'katib.kubeflow.org/component': 'trial-templates' } }, data: { 'quick-job.yaml': quickJob } });
    await page.goto(url('/experiments?ns=default'));
    const form = page.getByRole('form', { name: 'Create an experiment from a form' });
    await form.getByLabel('Experiment name').fill('form-tune');
    await form.getByLabel('Max trials').fill('3');
    await form.getByLabel('Parallel trials').fill('3');
    // The algorithm's settings, early stopping (never reached here: start_step 100) and the metrics collector.
    await form.getByLabel('Algorithm settings').fill('random_state=10');
    await form.getByLabel('Early stopping', { exact: true }).click();
    await page.getByRole('listbox').getByRole('option', { name: 'medianstop' }).click();
    await form.getByLabel('Early stopping settings').fill('min_trials_required=3, start_step=100');
    await form.getByRole('button', { name: 'Add a parameter' }).click();
    await form.getByLabel('Parameter 2 name').fill('momentum');
    await form.getByLabel('Parameter 2 min').fill('0.1');
    await form.getByLabel('Parameter 2 max').fill('0.9');
    // The templates Katib installs (kubeflow/trial-templates) are offered beside the namespace's own.
    await form.getByLabel('Trial template', { exact: true }).click();
    await page.getByRole('option', { name: 'defaultTrialTemplate.yaml (kubeflow/trial-templates)' }).waitFor();
    await page.getByRole('option', { name: 'quick-job.yaml (default/my-templates)' }).click();
    await form.getByLabel("The template's text").getByText('${trialParameters.learningRate}', { exact: false }).waitFor();
    await form.getByLabel("Template's learningRate takes").click();
    await page.getByRole('option', { name: 'lr', exact: true }).click();
    await check('experiment-form');
    await form.getByRole('button', { name: 'Create experiment' }).click();
    await page.getByRole('heading', { name: 'form-tune', level: 1 }).waitFor();
    const experiment = await floe.floe.client.get<{ metadata: { name: string }; spec: { trialTemplate: { configMap: unknown; trialParameters: unknown } } } & { apiVersion: string; kind: string }>({ apiVersion: 'kubeflow.org/v1beta1', kind: 'Experiment' }, 'form-tune', 'default');
    const spec = experiment.spec as unknown as Record<string, unknown>;
    assert.deepEqual(spec.algorithm, { algorithmName: 'random', algorithmSettings: [{ name: 'random_state', value: '10' }] });
    assert.deepEqual(spec.earlyStopping, { algorithmName: 'medianstop', algorithmSettings: [{ name: 'min_trials_required', value: '3' }, { name: 'start_step', value: '100' }] });
    assert.deepEqual((spec.metricsCollectorSpec as { collector: unknown }).collector, { kind: 'StdOut' });
    assert.deepEqual(experiment.spec.trialTemplate.configMap, { configMapName: 'my-templates', configMapNamespace: 'default', templatePath: 'quick-job.yaml' });
    assert.deepEqual(experiment.spec.trialTemplate.trialParameters, [
      { name: 'learningRate', reference: 'lr' },
      { name: 'momentum', reference: 'momentum' },
    ]);
    await page.getByText(/^Best trial: /).waitFor({ timeout: 180_000 });
    const plot = page.getByTestId('parallel-coordinates');
    await waitFor(async () => (await plot.locator('polyline').count()) === 3, { what: 'three trials drawn', timeoutMs: 180_000 });
    assert.match((await plot.getByRole('img').getAttribute('aria-label')) ?? '', /3 trials over lr, momentum, loss/);
    assert.equal(await plot.locator('polyline[stroke="#2b8a3e"]').count(), 1, 'the best trial stands out');
    await check('experiment-parallel');
  });

  test('logs and events: search a namespace for a text', async () => {
    await floe.floe.client.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'chatty', namespace: 'default' }, spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'python:3.11', command: ['python3', '-c', "print('warming up'); print('ERROR needle-42 lost the connection'); print('done')"] }] } });
    await waitFor(async () => (await floe.floe.client.get<{ apiVersion: string; kind: string; metadata: { name: string }; status?: { phase?: string } }>({ apiVersion: 'v1', kind: 'Pod' }, 'chatty', 'default')).status?.phase === 'Succeeded', { what: 'chatty Succeeded', timeoutMs: 60_000 });
    await floe.floe.client.create({ apiVersion: 'v1', kind: 'Event', metadata: { name: 'chatty.needle', namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'chatty', namespace: 'default' }, reason: 'Unhealthy', type: 'Warning', message: 'probe saw needle-42 twice', count: 2 } as never);
    await page.goto(url('/search?ns=default'));
    await page.getByLabel('Text to find').fill('NEEDLE-42');
    await page.getByRole('button', { name: 'Search' }).click();
    const logs = page.getByRole('table', { name: 'Matching log lines' });
    const row = logs.getByRole('row').filter({ hasText: 'lost the connection' });
    await row.waitFor();
    assert.deepEqual((await row.getByRole('cell').allInnerTexts()).slice(0, 3), ['chatty', 'main', '2']);
    assert.equal(await logs.getByRole('row').count(), 2, 'only the matching line (and the header)');
    await page.getByRole('table', { name: 'Matching events' }).getByRole('row').filter({ hasText: 'probe saw needle-42 twice' }).waitFor();
    assert.match(page.url(), /\/ui\/search\?.*q=NEEDLE-42/);
    await check('search');
    // The deep link searches on arrival.
    await page.goto(page.url());
    await logs.getByRole('row').filter({ hasText: 'lost the connection' }).waitFor();
    // Bounded input: one character is refused by the server.
    const short = await fetch(`${floe.floe.url}/api/dashboard/search?namespace=default&q=x`);
    assert.equal(short.status, 400);
  });
});
