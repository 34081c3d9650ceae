// Workload and platform kinds, unit by unit: pod-template defaults, selectors, the cron parser, HPA v1↔v2 conversion,
// validation paths and the `kubectl get` cells.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../meta.js';
import { formatSelectorCell, selectorMatches, selectorText } from './apps.js';
import { defaultHpa, formatHpaMetrics, horizontalPodAutoscalerTypes, hpaFromV1, hpaToV1, validateHpa } from './autoscaling.js';
import { controllerCell } from './controller-revision.js';
import { cronJobType, defaultCronJob, parseSchedule, scheduleError, validateCronJob } from './cron-job.js';
import { daemonSetType, defaultDaemonSet, validateDaemonSet } from './daemon-set.js';
import { defaultDeployment, deploymentType, validateDeployment } from './deployment.js';
import { builtinResourceTypes } from './index.js';
import { builtinTypeName } from './known-fields.js';
import { ingressType } from './networking.js';
import { accessModesCell, defaultPersistentVolume, validatePersistentVolume } from './persistent-volume.js';
import { defaultPodTemplate } from './pod-template.js';
import { defaultReplicationController } from './replication-controller.js';
import { validatePriorityClass } from './scheduling.js';
import { defaultStatefulSet, statefulSetType, validateStatefulSet } from './stateful-set.js';

type Json = Record<string, unknown>;
const obj = (apiVersion: string, kind: string, spec: Json, extra: Json = {}): KubeObject => ({ apiVersion, kind, metadata: { name: 'x', namespace: 'ns' }, spec, ...extra });
const fields = (errs: { field: string }[]): string[] => errs.map((e) => e.field).sort();
const template = { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'i:1' }] } };

describe('pod template defaults', () => {
  test('SetDefaults_PodSpec and container defaults, no Pod-only ones', () => {
    const t: Json = { spec: { containers: [{ name: 'c', image: 'img', ports: [{ containerPort: 80 }], livenessProbe: { httpGet: { port: 80 } } }], volumes: [{ name: 'v' }, { name: 's', secret: { secretName: 's' } }] } };
    defaultPodTemplate(t);
    const spec = t.spec as Json;
    assert.equal(spec.restartPolicy, 'Always');
    assert.equal(spec.dnsPolicy, 'ClusterFirst');
    assert.equal(spec.schedulerName, 'default-scheduler');
    assert.equal(spec.terminationGracePeriodSeconds, 30);
    assert.deepEqual(spec.securityContext, {});
    assert.equal(spec.enableServiceLinks, undefined);
    assert.equal(spec.serviceAccountName, undefined);
    assert.equal(spec.tolerations, undefined);
    const c = (spec.containers as Json[])[0]!;
    assert.equal(c.imagePullPolicy, 'Always');
    assert.deepEqual(c.resources, {});
    assert.deepEqual((c.ports as Json[])[0], { containerPort: 80, protocol: 'TCP' });
    assert.deepEqual(c.livenessProbe, { httpGet: { port: 80, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
    assert.deepEqual((spec.volumes as Json[])[0], { name: 'v', emptyDir: {} });
    assert.deepEqual((spec.volumes as Json[])[1], { name: 's', secret: { secretName: 's', defaultMode: 420 } });
  });
});

describe('selectors', () => {
  test('text form, cells and matching', () => {
    const sel = { matchLabels: { b: '2', a: '1' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['y', 'x'] }, { key: 'gone', operator: 'DoesNotExist' }] };
    assert.equal(selectorText(sel), 'a=1,b=2,!gone,tier in (x,y)');
    assert.equal(formatSelectorCell({}), '<none>');
    assert.equal(formatSelectorCell({ matchExpressions: [{ key: 'k', operator: 'Bogus' }] }), '<error>');
    assert.ok(selectorMatches(sel, { a: '1', b: '2', tier: 'x' }));
    assert.ok(!selectorMatches(sel, { a: '1', b: '2', tier: 'z' }));
    assert.ok(!selectorMatches(undefined, { a: '1' }));
  });
});

describe('Deployment', () => {
  test('defaults, and Recreate keeps no rollingUpdate', () => {
    const d = obj('apps/v1', 'Deployment', { selector: { matchLabels: { app: 'a' } }, template: structuredClone(template) });
    defaultDeployment(d);
    assert.deepEqual((d.spec as Json).strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
    const r = obj('apps/v1', 'Deployment', { strategy: { type: 'Recreate' }, template: structuredClone(template) });
    defaultDeployment(r);
    assert.deepEqual((r.spec as Json).strategy, { type: 'Recreate' });
    assert.deepEqual(d.status, {});
  });

  test('validation paths and messages', () => {
    const d = obj('apps/v1', 'Deployment', { selector: { matchLabels: { app: 'b' } }, template: structuredClone(template), strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } } });
    defaultDeployment(d);
    const errs = validateDeployment(d);
    assert.deepEqual(fields(errs), ['spec.strategy.rollingUpdate.maxUnavailable', 'spec.template.metadata.labels']);
    assert.match(errs.find((e) => e.field === 'spec.template.metadata.labels')!.message, /^Invalid value: map\[string\]string\{"app":"a"\}: `selector` does not match template `labels`$/);
    assert.equal(errs.find((e) => e.field.endsWith('maxUnavailable'))!.message, 'Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"0%"}: may not be 0 when `maxSurge` is 0');
    const old = structuredClone(d);
    (d.spec as Json).selector = { matchLabels: { app: 'a' } };
    (old.spec as Json).selector = { matchLabels: { app: 'a', x: 'y' } };
    assert.ok(validateDeployment(d, old).some((e) => e.field === 'spec.selector' && e.message.endsWith('field is immutable')));
  });

  test('READY, UP-TO-DATE, AVAILABLE and the wide columns', () => {
    const d = obj('apps/v1', 'Deployment', { replicas: 3, selector: { matchLabels: { app: 'a' } }, template }, { status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 1 } });
    assert.deepEqual(deploymentType().cells!(d), ['2/3', 3, 1, undefined, 'c', 'i:1', 'app=a']);
    assert.deepEqual(deploymentType().columns.map((c) => c.name), ['Ready', 'Up-to-date', 'Available', 'Age', 'Containers', 'Images', 'Selector']);
  });
});

describe('StatefulSet and DaemonSet', () => {
  test('StatefulSet defaults and the fields an update may not change', () => {
    const s = obj('apps/v1', 'StatefulSet', { serviceName: 'web', selector: { matchLabels: { app: 'a' } }, template: structuredClone(template), volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: {} }] });
    defaultStatefulSet(s);
    const spec = s.spec as Json;
    assert.equal(spec.podManagementPolicy, 'OrderedReady');
    assert.deepEqual(spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
    assert.deepEqual(spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: 'Retain', whenScaled: 'Retain' });
    assert.deepEqual((spec.volumeClaimTemplates as Json[])[0], { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data' }, spec: { volumeMode: 'Filesystem' }, status: { phase: 'Pending' } });
    assert.deepEqual(validateStatefulSet(s), []);
    const next = structuredClone(s);
    (next.spec as Json).replicas = 5;
    assert.deepEqual(validateStatefulSet(next, s), []);
    (next.spec as Json).serviceName = 'other';
    assert.deepEqual(fields(validateStatefulSet(next, s)), ['spec']);
    assert.deepEqual(statefulSetType().cells!({ ...s, status: { readyReplicas: 1 } }), ['1/1', undefined, 'c', 'i:1']);
  });

  test('DaemonSet rolling update rules', () => {
    const d = obj('apps/v1', 'DaemonSet', { selector: { matchLabels: { app: 'a' } }, template: structuredClone(template) });
    defaultDaemonSet(d);
    assert.deepEqual((d.spec as Json).updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
    assert.deepEqual(validateDaemonSet(d), []);
    ((d.spec as Json).updateStrategy as Json).rollingUpdate = { maxUnavailable: 0, maxSurge: 0 };
    assert.deepEqual(fields(validateDaemonSet(d)), ['spec.updateStrategy.rollingUpdate.maxUnavailable']);
    assert.deepEqual(daemonSetType().cells!({ ...d, status: { desiredNumberScheduled: 2, numberReady: 1 } }).slice(0, 6), [2, 0, 1, 0, 0, '<none>']);
  });

  test('ReplicationController takes its selector and labels from the template', () => {
    const rc = obj('v1', 'ReplicationController', { template: structuredClone(template) });
    defaultReplicationController(rc);
    assert.deepEqual((rc.spec as Json).selector, { app: 'a' });
    assert.deepEqual(rc.metadata.labels, { app: 'a' });
    assert.equal((rc.spec as Json).replicas, 1);
  });

  test('ControllerRevision CONTROLLER cell', () => {
    const cr: KubeObject = { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'r', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'u', controller: true }] } };
    assert.equal(controllerCell(cr), 'statefulset.apps/web');
    assert.equal(controllerCell({ ...cr, metadata: { name: 'r' } }), '<none>');
  });
});

describe('CronJob schedules (robfig/cron ParseStandard)', () => {
  test('fields, names, ranges, steps and descriptors', () => {
    const s = parseSchedule('*/15 9-17 * JAN,jun mon-fri');
    assert.deepEqual([...s.minutes], [0, 15, 30, 45]);
    assert.deepEqual([...s.hours], [9, 10, 11, 12, 13, 14, 15, 16, 17]);
    assert.deepEqual([...s.months], [1, 6]);
    assert.deepEqual([...s.daysOfWeek], [1, 2, 3, 4, 5]);
    assert.equal(s.domStar, true);
    assert.equal(s.dowStar, false);
    assert.deepEqual([...parseSchedule('@weekly').daysOfWeek], [0]);
    assert.equal(parseSchedule('@every 1h30m').everyMs, 5_400_000);
    assert.equal(parseSchedule('TZ=UTC 0 0 * * *').timeZone, 'UTC');
    assert.deepEqual([...parseSchedule('5/20 * * * *').minutes], [5, 25, 45]);
  });

  test('robfig/cron error messages', () => {
    assert.equal(scheduleError('61 * * * *'), 'end of range (61) above maximum (59): 61');
    assert.equal(scheduleError('0 0 * * * *'), 'expected exactly 5 fields, found 6: [0 0 * * * *]');
    assert.equal(scheduleError('x * * * *'), 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax');
    assert.equal(scheduleError('*/0 * * * *'), 'step of range should be a positive number: */0');
    assert.equal(scheduleError('5-1 * * * *'), 'beginning of range (5) beyond end of range (1): 5-1');
    assert.equal(scheduleError('@fortnightly'), 'unrecognized descriptor: @fortnightly');
    assert.equal(scheduleError(''), 'empty spec string');
    assert.equal(scheduleError('0 0 0 * *'), 'beginning of range (0) below minimum (1): 0');
  });

  test('validation: TZ in the schedule, time zones, the job template', () => {
    const cj = obj('batch/v1', 'CronJob', { schedule: 'TZ=UTC 0 * * * *', timeZone: 'Nowhere/City', jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: 'i' }] } } } } });
    defaultCronJob(cj);
    const errs = validateCronJob(cj);
    assert.deepEqual(fields(errs), ['spec.jobTemplate.spec.template.spec.restartPolicy', 'spec.schedule', 'spec.timeZone']);
    assert.equal(errs.find((e) => e.field === 'spec.jobTemplate.spec.template.spec.restartPolicy')!.message, 'Required value: valid values: "OnFailure", "Never"');
    assert.equal(errs.find((e) => e.field === 'spec.timeZone')!.message, 'Invalid value: "Nowhere/City": unknown time zone Nowhere/City');
    const spec = cj.spec as Json;
    assert.deepEqual([spec.concurrencyPolicy, spec.suspend, spec.successfulJobsHistoryLimit, spec.failedJobsHistoryLimit], ['Allow', false, 3, 1]);
  });

  test('SCHEDULE, TIMEZONE, SUSPEND, ACTIVE, LAST SCHEDULE', () => {
    const cj = obj('batch/v1', 'CronJob', { schedule: '@daily', suspend: true, jobTemplate: { spec: { template } } }, { status: { active: [{ name: 'j' }] } });
    assert.deepEqual(cronJobType().cells!(cj).slice(0, 5), ['@daily', '<none>', 'True', 1, '<none>']);
  });
});

describe('HorizontalPodAutoscaler v1 ↔ v2', () => {
  const v2: KubeObject = {
    apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h', namespace: 'ns', annotations: { keep: 'me' } },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 2, maxReplicas: 9,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
        { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '10' } } },
      ],
      behavior: { scaleDown: { stabilizationWindowSeconds: 30, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] } },
    },
    status: { currentReplicas: 3, desiredReplicas: 4, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 55, averageValue: '100m' } } }], conditions: [{ type: 'AbleToScale', status: 'True' }] },
  };

  test('v2 → v1 keeps the CPU target in place and the rest in annotations', () => {
    const v1 = hpaToV1(v2);
    assert.equal(v1.apiVersion, 'autoscaling/v1');
    assert.deepEqual(v1.spec, { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 2, maxReplicas: 9, targetCPUUtilizationPercentage: 70 });
    assert.deepEqual(v1.status, { currentReplicas: 3, desiredReplicas: 4, currentCPUUtilizationPercentage: 55 });
    const a = v1.metadata.annotations!;
    assert.equal(a.keep, 'me');
    assert.deepEqual(JSON.parse(a['autoscaling.alpha.kubernetes.io/metrics']!), [{ type: 'Pods', pods: { metricName: 'qps', targetAverageValue: '10' } }]);
    assert.ok(a['autoscaling.alpha.kubernetes.io/behavior']);
    assert.ok(a['autoscaling.alpha.kubernetes.io/conditions']);
    assert.ok(a['autoscaling.alpha.kubernetes.io/current-metrics']);
  });

  test('round trip through v1 loses nothing', () => {
    const back = hpaFromV1(hpaToV1(v2));
    assert.deepEqual(back.metadata.annotations, { keep: 'me' });
    assert.deepEqual((back.spec as Json).metrics, [
      { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '10' } } },
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
    ]);
    assert.deepEqual((back.spec as Json).behavior, (v2.spec as Json).behavior);
    assert.deepEqual((back.status as Json).conditions, (v2.status as Json).conditions);
  });

  test('a v1 object without a CPU target gets the 80% default', () => {
    const back = hpaFromV1({ apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'w' }, maxReplicas: 2 } });
    assert.deepEqual((back.spec as Json).metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]);
  });

  test('defaults and validation', () => {
    const h: KubeObject = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'w' }, maxReplicas: 2, behavior: {} } };
    defaultHpa(h);
    const behavior = (h.spec as Json).behavior as Json;
    assert.deepEqual(behavior.scaleUp, { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }] });
    assert.deepEqual(behavior.scaleDown, { selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] });
    assert.deepEqual(validateHpa(h), []);
    (h.spec as Json).metrics = [{ type: 'Pods', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 1 } } }];
    assert.deepEqual(fields(validateHpa(h)), ['spec.metrics[0].pods']);
  });

  test('TARGETS as kubectl 1.32 prints them', () => {
    const specs = (v2.spec as Json).metrics as Json[];
    assert.equal(formatHpaMetrics(specs, (v2.status as Json).currentMetrics as Json[]), 'cpu: 55%/70%, <unknown>/10');
    assert.equal(formatHpaMetrics([], []), '<none>');
    assert.equal(formatHpaMetrics([specs[0]!, specs[0]!, specs[1]!], []), 'cpu: <unknown>/70%, cpu: <unknown>/70% + 1 more...');
  });

  test('both versions are registered, stored as v2', () => {
    const [t2, t1] = horizontalPodAutoscalerTypes();
    assert.deepEqual([t2!.version, t2!.storageVersion, t1!.version, t1!.storageVersion], ['v2', 'v2', 'v1', 'v2']);
    assert.deepEqual(t1!.shortNames, ['hpa']);
  });
});

describe('platform kinds', () => {
  test('PersistentVolume defaults, validation and ACCESS MODES', () => {
    const pv: KubeObject = { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv' }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/x' } } };
    defaultPersistentVolume(pv);
    assert.deepEqual([(pv.spec as Json).persistentVolumeReclaimPolicy, (pv.spec as Json).volumeMode, (pv.status as Json).phase], ['Retain', 'Filesystem', 'Pending']);
    assert.deepEqual(validatePersistentVolume(pv), []);
    const changed = structuredClone(pv);
    (changed.spec as Json).hostPath = { path: '/y', type: '' };
    assert.deepEqual(fields(validatePersistentVolume(changed, pv)), ['spec.persistentvolumesource']);
    assert.equal(accessModesCell(['ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod']), 'RWO,RWX,RWOP');
  });

  test('PriorityClass: system names and values', () => {
    const pc = (name: string, value: number): KubeObject => ({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value });
    assert.deepEqual(validatePriorityClass(pc('system-node-critical', 2000001000)), []);
    assert.match(validatePriorityClass(pc('system-node-critical', 5))[0]!.message, /value of system-node-critical PriorityClass must be 2000001000/);
    assert.deepEqual(fields(validatePriorityClass(pc('mine', 1000000001))), ['value']);
  });

  test('Ingress HOSTS, ADDRESS and PORTS', () => {
    const rules = ['a', 'b', 'c', 'd'].map((h) => ({ host: `${h}.example.com` }));
    const ing: KubeObject = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'i' }, spec: { rules, tls: [{}] }, status: { loadBalancer: { ingress: [{ ip: '10.0.0.2' }, { hostname: 'lb.example.com' }] } } };
    assert.deepEqual(ingressType().cells!(ing).slice(0, 4), ['<none>', 'a.example.com,b.example.com,c.example.com + 1 more...', '10.0.0.2,lb.e...', '80, 443']);
  });

  test('every new kind has known-fields data (fieldValidation)', () => {
    for (const t of builtinResourceTypes()) {
      if (!['apps', 'autoscaling', 'policy', 'storage.k8s.io', 'networking.k8s.io', 'scheduling.k8s.io'].includes(t.group) && !['CronJob', 'PersistentVolume', 'ReplicationController', 'PodTemplate'].includes(t.kind)) continue;
      assert.ok(builtinTypeName(t.group, t.kind, t.version), `${t.group}/${t.version} ${t.kind}`);
    }
    assert.equal(builtinTypeName('autoscaling', 'HorizontalPodAutoscaler', 'v1'), 'autoscalingv1.HorizontalPodAutoscaler');
    assert.equal(builtinTypeName('autoscaling', 'HorizontalPodAutoscaler', 'v2'), 'autoscaling.HorizontalPodAutoscaler');
  });
});

describe('registration', () => {
  const ours = new Set(['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'ControllerRevision', 'CronJob', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'PersistentVolume', 'ReplicationController', 'PodTemplate', 'StorageClass', 'NetworkPolicy', 'Ingress', 'IngressClass', 'PriorityClass']);
  const types = builtinResourceTypes().filter((t) => ours.has(t.kind));

  test('names, scopes, short names, categories and subresources as kube-apiserver 1.32 serves them', () => {
    const row = (t: (typeof types)[number]): string =>
      `${t.group}/${t.version} ${t.plural} ${t.singular} ${t.listKind} ${t.namespaced ? 'namespaced' : 'cluster'} [${t.shortNames.join(',')}] [${t.categories.join(',')}]${t.statusSubresource ? ' status' : ''}${t.scale ? ' scale' : ''} generation:${t.generationFrom}`;
    assert.deepEqual(types.map(row), [
      'apps/v1 deployments deployment DeploymentList namespaced [deploy] [all] status scale generation:spec',
      'apps/v1 replicasets replicaset ReplicaSetList namespaced [rs] [all] status scale generation:spec',
      'apps/v1 statefulsets statefulset StatefulSetList namespaced [sts] [all] status scale generation:spec',
      'apps/v1 daemonsets daemonset DaemonSetList namespaced [ds] [all] status generation:spec',
      'apps/v1 controllerrevisions controllerrevision ControllerRevisionList namespaced [] [] generation:none',
      'batch/v1 cronjobs cronjob CronJobList namespaced [cj] [all] status generation:spec',
      'autoscaling/v2 horizontalpodautoscalers horizontalpodautoscaler HorizontalPodAutoscalerList namespaced [hpa] [all] status generation:none',
      'autoscaling/v1 horizontalpodautoscalers horizontalpodautoscaler HorizontalPodAutoscalerList namespaced [hpa] [all] status generation:none',
      'policy/v1 poddisruptionbudgets poddisruptionbudget PodDisruptionBudgetList namespaced [pdb] [] status generation:spec',
      '/v1 persistentvolumes persistentvolume PersistentVolumeList cluster [pv] [] status generation:none',
      '/v1 replicationcontrollers replicationcontroller ReplicationControllerList namespaced [rc] [all] status scale generation:spec',
      '/v1 podtemplates podtemplate PodTemplateList namespaced [] [] generation:all-but-metadata-and-status',
      'storage.k8s.io/v1 storageclasses storageclass StorageClassList cluster [sc] [] generation:none',
      'networking.k8s.io/v1 networkpolicies networkpolicy NetworkPolicyList namespaced [netpol] [] generation:spec',
      'networking.k8s.io/v1 ingresses ingress IngressList namespaced [ing] [] status generation:spec',
      'networking.k8s.io/v1 ingressclasses ingressclass IngressClassList cluster [] [] generation:spec',
      'scheduling.k8s.io/v1 priorityclasses priorityclass PriorityClassList cluster [pc] [] generation:spec',
    ]);
  });

  test('every kind has strategic-merge metadata; workload templates merge containers by name', () => {
    for (const t of types) assert.ok(t.patchMeta, t.kind);
    const deploy = types.find((t) => t.kind === 'Deployment')!.patchMeta!;
    const containers = deploy.fields?.spec?.fields?.template?.fields?.spec?.fields?.containers;
    assert.equal(containers?.mergeKey, 'name');
    assert.equal(deploy.fields?.spec?.fields?.strategy?.strategy, 'retainKeys');
    const cron = types.find((t) => t.kind === 'CronJob')!.patchMeta!;
    assert.equal(cron.fields?.spec?.fields?.jobTemplate?.fields?.spec?.fields?.template?.fields?.spec?.fields?.containers?.mergeKey, 'name');
  });
});
