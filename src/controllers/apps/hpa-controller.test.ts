// The HPA controller on a real Floe: bounds applied through the target's scale, missing targets and metric sources
// reported in conditions as upstream words them. (Scaling on CPU load from metrics.k8s.io: e2e/workloads.test.ts.)
/* eslint-disable no-restricted-imports -- tests are composition roots: they start the server that runs these controllers */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from '../../client/client.js';
import type { Floe } from '../../server/floe.js';
import { freshNamespace } from '../../../test/helpers/fixtures.js';
import { waitFor } from '../../../test/helpers/wait.js';
import { DeploymentRef, type Deployment } from './deployment-util.js';
import { HorizontalPodAutoscalerRef, type HorizontalPodAutoscaler, type MetricSpec } from './hpa-controller.js';
import { startEmbeddedFloe, type EmbeddedFloe } from '../../../test/helpers/embedded-floe.js';

describe('autoscaling/v2 HorizontalPodAutoscaler controller (embedded)', () => {
  let floe: Floe;
  let client: Client;
  let embedded: EmbeddedFloe;

  before(async () => {
    embedded = await startEmbeddedFloe('floe-hpa-');
    ({ floe } = embedded);
    client = floe.client;
  });

  after(() => embedded.stop());

  const hpa = (ns: string, name: string, target: string, spec: Partial<HorizontalPodAutoscaler['spec']> = {}): HorizontalPodAutoscaler => ({
    apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name, namespace: ns },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: target }, minReplicas: 1, maxReplicas: 2, ...spec },
  });
  const deployment = (ns: string, name: string, replicas: number): Deployment => ({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: ns },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: 'busybox', command: ['sleep', '300'], resources: { requests: { cpu: '100m' } } }] } } },
  });
  const condition = async (ns: string, name: string, type: string, reason: string): Promise<HorizontalPodAutoscaler> =>
    waitFor(async () => {
      const h = await client.get<HorizontalPodAutoscaler>(HorizontalPodAutoscalerRef, name, ns);
      return h.status?.conditions?.some((c) => c.type === type && c.reason === reason) ? h : undefined;
    }, { what: `${type} ${reason}`, timeoutMs: 30_000 });

  test('a target above maxReplicas is scaled down to it, with SuccessfulRescale and ScalingLimited TooManyReplicas', async () => {
    const ns = await freshNamespace(client, 'hpa-max');
    await client.create(deployment(ns, 'wide', 3));
    await client.create(hpa(ns, 'wide', 'wide'));
    const h = await condition(ns, 'wide', 'ScalingLimited', 'TooManyReplicas');
    assert.equal(h.status?.desiredReplicas, 2);
    assert.ok(h.status?.lastScaleTime);
    assert.equal(h.status?.conditions?.find((c) => c.type === 'AbleToScale')?.reason, 'SucceededRescale');
    assert.equal((await client.get<Deployment>(DeploymentRef, 'wide', ns)).spec.replicas, 2);
    const events = await waitFor(async () => {
      const list = (await client.list({ apiVersion: 'v1', kind: 'Event' }, { namespace: ns })).items.filter((e) => e.reason === 'SuccessfulRescale');
      return list.length > 0 ? list : undefined;
    }, { what: 'the SuccessfulRescale event' });
    assert.equal(events[0]?.message, 'New size: 2; reason: Current number of replicas above Spec.MaxReplicas');
  });

  test('a missing target: AbleToScale False FailedGetScale', async () => {
    const ns = await freshNamespace(client, 'hpa-missing');
    await client.create(hpa(ns, 'ghost', 'nothing-here'));
    const h = await condition(ns, 'ghost', 'AbleToScale', 'FailedGetScale');
    const c = h.status?.conditions?.find((x) => x.type === 'AbleToScale');
    assert.equal(c?.status, 'False');
    assert.match(c?.message ?? '', /^the HPA controller was unable to get the target's current scale: /);
  });

  test('Pods and External metrics have no source in Floe: ScalingActive False says so, and nothing is scaled', async () => {
    const ns = await freshNamespace(client, 'hpa-custom');
    await client.create(deployment(ns, 'custom', 1));
    const metrics: MetricSpec[] = [{ type: 'Pods', pods: { metric: { name: 'requests_per_second' }, target: { type: 'AverageValue', averageValue: '10' } } }];
    await client.create(hpa(ns, 'custom', 'custom', { metrics }));
    const h = await condition(ns, 'custom', 'ScalingActive', 'FailedGetPodsMetric');
    const c = h.status?.conditions?.find((x) => x.type === 'ScalingActive');
    assert.equal(c?.status, 'False');
    assert.equal(c?.message, 'the HPA was unable to compute the replica count: unable to get metric requests_per_second: no custom.metrics.k8s.io API is served by Floe (only Resource and ContainerResource metrics from metrics.k8s.io are)');
    assert.equal((await client.get<Deployment>(DeploymentRef, 'custom', ns)).spec.replicas, 1);
    await client.create(hpa(ns, 'external', 'custom', { metrics: [{ type: 'External', external: { metric: { name: 'queue_depth' }, target: { type: 'Value', value: '5' } } }] }));
    await condition(ns, 'external', 'ScalingActive', 'FailedGetExternalMetric');
  });
});
