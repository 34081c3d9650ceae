// The InferenceGraph controller: checks the graph, routes `/serving/<ns>/<graph>` to a GraphRouter whose steps call
// InferenceServices through the same ingress, and reports Ready once every InferenceService it names is Ready.
import { FloeError } from '../../api/errors.js';
import { kubeTime, realClock, type Clock, type ReconcileContext, type ReconcileResult, type Reconciler, type Request } from '../../controller/index.js';
import { ServingIngress } from './dataplane.js';
import { GraphRouter, validateGraph, type GraphNode, type StepResult } from './graph.js';
import { InferenceGraphRef, InferenceServiceRef, type Condition, type InferenceService } from './types.js';
import type { KubeObject } from '../../api/meta.js';

type InferenceGraph = KubeObject & { spec: { nodes?: Record<string, GraphNode> }; status?: { url?: string; conditions?: Condition[] } };

async function post(url: string, body: Buffer): Promise<StepResult> {
  try {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message;
    throw new Error(`Post "${url}": ${cause ?? (err as Error).message}`);
  }
}

export class InferenceGraphReconciler implements Reconciler {
  private readonly clock: Clock;

  constructor(private readonly options: { ingress: ServingIngress; ingressUrl: string; clock?: Clock }) {
    this.clock = options.clock ?? realClock();
  }

  async reconcile(ctx: ReconcileContext, request: Request): Promise<ReconcileResult | void> {
    const namespace = request.namespace ?? '';
    let graph: InferenceGraph;
    try {
      graph = await ctx.client.get<InferenceGraph>(InferenceGraphRef, request.name, namespace);
    } catch (err) {
      if (!(err instanceof FloeError && err.reason === 'NotFound')) throw err;
      this.options.ingress.delete(namespace, request.name);
      return;
    }
    const now = kubeTime(this.clock.now());
    const status = structuredClone(graph.status ?? {});
    const before = JSON.stringify(status);
    const ready = (value: 'True' | 'False', reason?: string, message?: string): void => {
      const old = status.conditions?.find((c) => c.type === 'Ready');
      status.conditions = [{ type: 'Ready', status: value, lastTransitionTime: old?.status === value ? (old.lastTransitionTime ?? now) : now, ...(reason ? { reason } : {}), ...(message ? { message } : {}) }];
    };
    const write = async (): Promise<void> => {
      if (JSON.stringify(status) !== before) await ctx.client.updateStatus<InferenceGraph>({ ...graph, status });
    };
    const problems = validateGraph(graph.spec.nodes);
    if (problems.length > 0) {
      ready('False', 'InvalidGraph', problems.join('; '));
      await write();
      return;
    }
    const base = this.options.ingressUrl;
    const services = [...new Set(Object.values(graph.spec.nodes ?? {}).flatMap((n) => (n.steps ?? []).map((s) => s.serviceName).filter((s): s is string => !!s)))];
    const notReady: string[] = [];
    for (const name of services) {
      const isvc = await ctx.client.get<InferenceService>(InferenceServiceRef, name, namespace).catch(() => undefined);
      if (!isvc?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) notReady.push(name);
    }
    // Steps call KServe's V1 predict endpoint of the InferenceService they name, as KServe's graph controller does.
    const router = new GraphRouter(graph.spec.nodes ?? {}, (service) => `${ServingIngress.urlOf(base, namespace, service)}/v1/models/${service}:predict`, post);
    this.options.ingress.set(namespace, request.name, { kind: 'local', endpoint: router });
    status.url = ServingIngress.urlOf(base, namespace, request.name);
    if (notReady.length > 0) ready('False', 'ServiceNotReady', `InferenceServices not ready: ${notReady.join(', ')}`);
    else ready('True');
    await write();
    if (notReady.length > 0) return { requeueAfterMs: 2_000 };
  }
}
