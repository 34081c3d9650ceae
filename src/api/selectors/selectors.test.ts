// The selectors module as the API server uses it: one import for both kinds, kubectl's usual selectors.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FloeError } from '../errors.js';
import * as selectors from './index.js';

describe('selectors index', () => {
  test('exports the label and field selector functions', () => {
    const names = Object.keys(selectors).sort();
    assert.deepEqual(names, [
      'escapeFieldValue',
      'fieldsOf',
      'formatFieldSelector',
      'formatLabelRequirement',
      'formatLabelSelector',
      'labelRequirement',
      'matchesFields',
      'matchesLabelRequirement',
      'matchesLabels',
      'parseFieldSelector',
      'parseLabelSelector',
      'selectorFromLabelSelectorObject',
      'unescapeFieldValue',
      'validateLabelSelectorObject',
    ]);
  });

  test('a list filtered the way `kubectl get pods -l ... --field-selector ...` asks', () => {
    const pods = [
      { name: 'web-0', phase: 'Running', labels: { app: 'web', 'training.kubeflow.org/replica-type': 'worker' } },
      { name: 'web-1', phase: 'Pending', labels: { app: 'web', 'training.kubeflow.org/replica-type': 'master' } },
      { name: 'db-0', phase: 'Running', labels: { app: 'db' } },
      { name: 'bare', phase: 'Running' },
    ];
    const labels = selectors.parseLabelSelector('app in (web,db),training.kubeflow.org/replica-type!=master');
    const fields = selectors.parseFieldSelector('status.phase=Running,metadata.name!=db-0');
    const get = (p: (typeof pods)[number]) => (f: string): string | undefined => (f === 'metadata.name' ? p.name : f === 'status.phase' ? p.phase : undefined);
    const names = pods.filter((p) => selectors.matchesLabels(labels, p.labels) && selectors.matchesFields(fields, get(p))).map((p) => p.name);
    assert.deepEqual(names, ['web-0']);
  });

  test('an unsupported field can be reported as Kubernetes does', () => {
    const supported = new Set(['metadata.name', 'metadata.namespace']);
    const check = (text: string): void => {
      for (const f of selectors.fieldsOf(selectors.parseFieldSelector(text))) {
        if (!supported.has(f)) throw new FloeError('BadRequest', `field label not supported: ${f}`);
      }
    };
    assert.doesNotThrow(() => check('metadata.name=a'));
    assert.throws(() => check('metadata.name=a,spec.foo=b'), /^FloeError: field label not supported: spec\.foo$/);
  });
});
