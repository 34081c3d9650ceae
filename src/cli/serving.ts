// `floe predict NAME -f request.json`: one request to an InferenceService, V1 (`instances`) or V2 (`inputs`).
import { readFileSync } from 'node:fs';
import type { KubeObject } from '../api/meta.js';
import { CliError, ExitCode, UsageError } from './cli-error.js';
import type { Session } from './session.js';

type InferenceService = KubeObject & { status?: { url?: string; conditions?: { type: string; status: string; message?: string }[] } };

export interface PredictOptions {
  file: string;
  /** The model name in the path; the InferenceService's name unless given. */
  model?: string;
}

export async function predict(session: Session, name: string, options: PredictOptions): Promise<ExitCode> {
  let body: unknown;
  try {
    body = JSON.parse(options.file === '-' ? await session.io.readStdin() : readFileSync(options.file, 'utf8'));
  } catch (err) {
    throw new UsageError(`cannot read a JSON request from ${options.file}: ${(err as Error).message}`);
  }
  const request = body as Record<string, unknown>;
  const protocol = Array.isArray(request['inputs']) && typeof (request['inputs'] as unknown[])[0] === 'object' && !Array.isArray((request['inputs'] as unknown[])[0]) ? 'v2' : 'instances' in request ? 'v1' : undefined;
  if (!protocol) throw new UsageError('the request needs "instances" (V1 protocol) or "inputs" with named tensors (V2 protocol)');
  const isvc = await session.http.json<InferenceService>({ method: 'GET', path: `/apis/serving.kserve.io/v1beta1/namespaces/${encodeURIComponent(session.namespace)}/inferenceservices/${encodeURIComponent(name)}` });
  const url = isvc.status?.url;
  const ready = isvc.status?.conditions?.find((c) => c.type === 'Ready');
  if (!url || ready?.status !== 'True') throw new CliError(`InferenceService ${name} is not ready${ready?.message ? `: ${ready.message}` : ''}`);
  const model = encodeURIComponent(options.model ?? name);
  const base = new URL(url).pathname;
  const path = protocol === 'v1' ? `${base}/v1/models/${model}:predict` : `${base}/v2/models/${model}/infer`;
  const answer = await session.http.json<unknown>({ method: 'POST', path, body });
  session.io.out(`${JSON.stringify(answer, null, 2)}\n`);
  return ExitCode.Ok;
}
