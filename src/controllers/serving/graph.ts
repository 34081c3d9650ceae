// KServe's InferenceGraph router: a request enters node `root` and flows through Sequence, Switch, Ensemble and
// Splitter nodes whose steps call InferenceServices, URLs or other nodes (semantics of kserve/cmd/router).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { conditionHolds, parseJson } from './graph-gjson.js';
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
  mapPredictionsToInstances?: boolean;
  weight?: number;
}

export interface GraphNode {
  routerType: RouterType;
  steps?: GraphStep[];
}

/** A step's answer as KServe's router keeps it: the status and the body's bytes, unparsed. */
export interface StepResult {
  status: number;
  body: Buffer;
}

/** Sends a body to a URL (an InferenceService's predict endpoint, or any serviceUrl). */
export type Caller = (url: string, body: Buffer) => Promise<StepResult>;

/** A failure of the router itself: KServe answers `{"error": "Failed to process request", "cause": …}` with `status`. */
export class GraphError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Go's json.Marshal of a decoded value: object keys sorted (Go maps), everything else as JSON. */
function goMarshal(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(goMarshal).join(',')}]`;
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${goMarshal(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function validJson(body: Buffer): boolean {
  return parseJson(body.toString('utf8')) !== undefined;
}

export class GraphRouter implements LocalEndpoint {
  constructor(
    private readonly nodes: Record<string, GraphNode>,
    /** A step's serviceName → the URL to POST to. */
    private readonly serviceUrl: (serviceName: string) => string,
    private readonly call: Caller,
    private readonly random: () => number = Math.random,
  ) {}

  /** Runs one request body through the graph from `root` (KServe's routeStep). */
  async route(input: Buffer): Promise<StepResult> {
    return this.node('root', input);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let result: StepResult;
    try {
      result = await this.route(Buffer.concat(chunks));
    } catch (err) {
      const status = err instanceof GraphError ? err.status : 500;
      result = { status, body: Buffer.from(JSON.stringify({ error: 'Failed to process request', cause: (err as Error).message })) };
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(result.body);
      return true;
    }
    // As KServe's router: the last step's bytes and status; JSON is labelled as such, anything else is not labelled.
    res.writeHead(result.status || 200, validJson(result.body) ? { 'content-type': 'application/json' } : {});
    res.end(result.body);
    return true;
  }

  private async node(name: string, input: Buffer): Promise<StepResult> {
    const node = this.nodes[name];
    const steps = node?.steps ?? [];
    switch (node?.routerType) {
      case 'Sequence': {
        let last: StepResult | undefined;
        for (const [i, step] of steps.entries()) {
          let data = i > 0 && step.data === '$response' && last ? last.body : input;
          if (step.mapPredictionsToInstances) data = predictionsToInstances(data);
          if (step.condition) {
            const previous = last?.body.toString('utf8') ?? '';
            if (parseJson(previous) === undefined) throw new GraphError(500, 'invalid response');
            // A condition that does not hold ends the sequence with the previous answer, as 200.
            if (!conditionHolds(previous, step.condition)) return { status: 200, body: last?.body ?? Buffer.alloc(0) };
          }
          last = await this.step(step, data);
          if (step.dependency === 'Hard' && (last.status < 200 || last.status > 299)) return last;
        }
        return last ?? { status: 200, body: Buffer.alloc(0) };
      }
      case 'Switch': {
        const text = input.toString('utf8');
        const step = steps.find((s) => conditionHolds(text, s.condition ?? ''));
        if (!step) throw new GraphError(404, 'None of the routes matched with the switch condition');
        return this.step(step, input);
      }
      case 'Ensemble': {
        const settled = await Promise.allSettled(steps.map((s) => this.step(s, input)));
        const merged: Record<string, unknown> = {};
        for (const [i, outcome] of settled.entries()) {
          if (outcome.status === 'rejected') throw outcome.reason;
          let parsed: unknown;
          try {
            parsed = JSON.parse(outcome.value.body.toString('utf8'));
          } catch (err) {
            throw new GraphError(500, (err as Error).message);
          }
          if (parsed !== null && (typeof parsed !== 'object' || Array.isArray(parsed))) throw new GraphError(500, `json: cannot unmarshal ${Array.isArray(parsed) ? 'array' : typeof parsed} into Go value of type map[string]interface {}`);
          const step = steps[i]!;
          if (step.dependency === 'Hard' && (outcome.value.status < 200 || outcome.value.status > 299)) return { status: outcome.value.status, body: Buffer.from(goMarshal(parsed)) };
          merged[step.name ?? String(i)] = parsed;
        }
        return { status: 200, body: Buffer.from(goMarshal(merged)) };
      }
      case 'Splitter': {
        const point = Math.floor(this.random() * 100);
        let end = 0;
        const step = steps.find((s) => point < (end += s.weight ?? 0));
        if (!step) throw new GraphError(500, 'no route was selected by the splitter');
        return this.step(step, input);
      }
      case undefined:
      default:
        throw new GraphError(500, `invalid route type: ${node?.routerType ?? ''}`);
    }
  }

  private async step(step: GraphStep, data: Buffer): Promise<StepResult> {
    if (step.nodeName) return this.node(step.nodeName, data);
    const url = step.serviceUrl ?? (step.serviceName ? this.serviceUrl(step.serviceName) : undefined);
    if (!url) throw new GraphError(500, 'a step names no serviceName, serviceUrl or nodeName');
    return this.call(url, data);
  }
}

/** `mapPredictionsToInstances`: a body with a non-empty `predictions` becomes `{"instances": <predictions>}`. */
function predictionsToInstances(body: Buffer): Buffer {
  try {
    const decoded = JSON.parse(body.toString('utf8')) as { predictions?: unknown };
    if (Array.isArray(decoded.predictions) && decoded.predictions.length > 0) return Buffer.from(goMarshal({ instances: decoded.predictions }));
  } catch {
    // KServe sends the body unchanged when it is not such JSON
  }
  return body;
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
