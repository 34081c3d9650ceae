// The Greeter operator as a program: `node dist/examples/greeter-operator/main.js --kubeconfig ~/.floe/kubeconfig`.
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { KubeClient } from '../../src/client/kube-client.js';
import { Manager } from '../../src/controller/index.js';
import { addGreeterController, installGreeterCrd } from './operator.js';

const usage = `usage: main.js --kubeconfig PATH [--namespace NS] [--leader-elect] [--max-replicas N]

Runs the Greeter operator against the API server the kubeconfig names (Floe, or any Kubernetes cluster).
  --kubeconfig PATH   which API server, and as whom
  --namespace NS      watch only this namespace (all by default)
  --leader-elect      run several copies: one reconciles, the others wait (Lease greeter-operator in kube-system)
  --max-replicas N    refuse Greeters asking for more ConfigMaps than this (10 by default)`;

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      kubeconfig: { type: 'string' },
      namespace: { type: 'string' },
      'leader-elect': { type: 'boolean', default: false },
      'max-replicas': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || !values.kubeconfig) {
    process.stderr.write(`${usage}\n`);
    return values.help ? 0 : 2;
  }
  const maxReplicas = values['max-replicas'] === undefined ? undefined : Number(values['max-replicas']);
  if (maxReplicas !== undefined && !(Number.isInteger(maxReplicas) && maxReplicas >= 0)) {
    process.stderr.write(`--max-replicas must be a non-negative integer, got ${values['max-replicas'] ?? ''}\n`);
    return 2;
  }

  const log = pino({ base: null }, pino.destination(2));
  const client = KubeClient.fromFile(values.kubeconfig);
  await installGreeterCrd(client);
  const manager = new Manager({
    client,
    log,
    ...(values.namespace ? { namespace: values.namespace } : {}),
    ...(values['leader-elect'] ? { leaderElection: { leaseName: 'greeter-operator', leaseNamespace: 'kube-system', identity: `${hostname()}_${process.pid}` } } : {}),
  });
  addGreeterController(manager, maxReplicas === undefined ? {} : { maxReplicas });

  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());
  await manager.start(stop.signal);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`greeter-operator: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
