// KServe's InferenceGraph router: a request enters node `root` and flows through Sequence, Switch, Ensemble and
// Splitter nodes whose steps call InferenceServices, URLs or other nodes (semantics of kserve/cmd/router).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { holds } from '../../api/gjson.js';
import type { LocalEndpoint } from './dataplane.js';

export type RouterType = 'Sequence' | 'Switch' | 'Ensemble' | 'Splitter';

export interface GraphStep {
  name?: string;
  serviceName?: string;
  serviceUrl?: string;
  nodeName?: string;
  data?: string;
  condition?: string;
  dependency?: 'Soft' | 'Hard';
  weight?: number;
}

export interface GraphNode {
  routerType: RouterType;
  steps?: GraphStep[];
}

export interface StepResult {
  status: number;
  body: unknown;
}

/** Sends a JSON body to a URL (an InferenceService's predict endpoint, or any serviceUrl). */
export type Caller = (url: string, body: unknown) => Promise<StepResult>;

export class GraphError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class GraphRouter implements LocalEndpoint {
  constructor(
    private readonly nodes: Record<string, GraphNode>,
    /** A step's serviceName → the URL to POST to. */
    private readonly serviceUrl: (serviceName: string) => string,
    private readonly call: Caller,
    private readonly random: () => number = Math.random,
  ) {}

  /** Runs one request through the graph from `root`. */
  async route(input: unknown): Promise<StepResult> {
    return this.node('root', input);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let result: StepResult;
    try {
      result = await this.route(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'));
    } catch (err) {
      result = err instanceof GraphError ? { status: err.status, body: { error: err.message } } : err instanceof SyntaxError ? { status: 400, body: { error: `the request is not JSON: ${err.message}` } } : { status: 500, body: { error: (err as Error).message } };
    }
    res.writeHead(result.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(result.body));
    return true;
  }

  private async node(name: string, input: unknown): Promise<StepResult> {
    const node = this.nodes[name];
    if (!node) throw new GraphError(404, `the graph has no node ${name}`);
    const steps = node.steps ?? [];
    switch (node.routerType) {
      case 'Sequence': {
        let last: StepResult = { status: 200, body: input };
        for (const [i, step] of steps.entries()) {
          const data = i > 0 && step.data === '$response' ? last.body : input;
          if (step.condition && !holds(last.body, step.condition)) return last;
          last = await this.step(step, data);
          if (last.status >= 400 && step.dependency === 'Hard') return last;
        }
        return last;
      }
      case 'Switch': {
        const step = steps.find((s) => !s.condition || holds(input, s.condition));
        if (!step) throw new GraphError(404, 'None of the routes matched with the switch condition');
        return this.step(step, input);
      }
      case 'Ensemble': {
        const results = await Promise.all(steps.map((s) => this.step(s, input)));
        const hard = results.find((r, i) => r.status >= 400 && steps[i]!.dependency === 'Hard');
        if (hard) return hard;
        return { status: 200, body: Object.fromEntries(results.map((r, i) => [steps[i]!.name ?? String(i), r.body])) };
      }
      case 'Splitter': {
        let r = this.random() * 100;
        const step = steps.find((s) => (r -= s.weight ?? 0) < 0) ?? steps[steps.length - 1];
        if (!step) throw new GraphError(500, `splitter node ${name} has no steps`);
        return this.step(step, input);
      }
      default:
        throw new GraphError(500, `node ${name} has an unknown routerType`);
    }
  }

  private async step(step: GraphStep, data: unknown): Promise<StepResult> {
    if (step.nodeName) return this.node(step.nodeName, data);
    const url = step.serviceUrl ?? (step.serviceName ? this.serviceUrl(step.serviceName) : undefined);
    if (!url) throw new GraphError(500, 'a step names no serviceName, serviceUrl or nodeName');
    return this.call(url, data);
  }
}

/** Every problem of a graph spec, each naming its field. */
export function validateGraph(nodes: Record<string, GraphNode> | undefined): string[] {
  const problems: string[] = [];
  if (!nodes || !nodes['root']) problems.push('spec.nodes: the entry node must be named root');
  for (const [name, node] of Object.entries(nodes ?? {})) {
    const path = `spec.nodes.${name}`;
    if (!['Sequence', 'Switch', 'Ensemble', 'Splitter'].includes(node.routerType)) problems.push(`${path}.routerType: must be one of Sequence, Switch, Ensemble, Splitter`);
    (node.steps ?? []).forEach((s, i) => {
      const targets = [s.serviceName, s.serviceUrl, s.nodeName].filter(Boolean).length;
      if (targets !== 1) problems.push(`${path}.steps[${i}]: exactly one of serviceName, serviceUrl and nodeName`);
      if (s.nodeName && !nodes?.[s.nodeName]) problems.push(`${path}.steps[${i}].nodeName: no node ${s.nodeName}`);
    });
    if (node.routerType === 'Splitter') {
      const sum = (node.steps ?? []).reduce((n, s) => n + (s.weight ?? 0), 0);
      if (sum !== 100) problems.push(`${path}.steps: Splitter weights must sum to 100, not ${sum}`);
    }
  }
  return problems;
}
