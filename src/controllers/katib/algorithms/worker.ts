// Runs algorithms off the main thread: a GP suggestion can take most of a second at hundreds of trials, and in
// embedded mode the API server shares the main thread with the controllers.
import { parentPort } from 'node:worker_threads';
import { algorithms } from './index.js';
import type { SuggestInput, SuggestOutput } from './types.js';

export interface SuggestRequest {
  id: number;
  algorithm: string;
  input: SuggestInput;
}

export type SuggestReply = { id: number; output: SuggestOutput } | { id: number; error: string };

parentPort?.on('message', (request: SuggestRequest) => {
  try {
    const algorithm = algorithms[request.algorithm];
    if (!algorithm) throw new Error(`unknown algorithm ${request.algorithm}`);
    parentPort!.postMessage({ id: request.id, output: algorithm.suggest(request.input) } satisfies SuggestReply);
  } catch (err) {
    parentPort!.postMessage({ id: request.id, error: err instanceof Error ? err.message : String(err) } satisfies SuggestReply);
  }
});
