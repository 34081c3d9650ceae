// A worker thread that answers suggest() calls in order; started on first use, stopped with the controllers.
import { Worker } from 'node:worker_threads';
import type { SuggestReply, SuggestRequest } from './worker.js';
import type { SuggestInput, SuggestOutput } from './types.js';

export class SuggestionRunner {
  private worker: Worker | undefined;
  private next = 1;
  private readonly pending = new Map<number, { resolve: (o: SuggestOutput) => void; reject: (e: Error) => void }>();

  suggest(algorithm: string, input: SuggestInput): Promise<SuggestOutput> {
    const worker = this.start();
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, algorithm, input } satisfies SuggestRequest);
    });
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./worker.js', import.meta.url));
    worker.unref();
    worker.on('message', (reply: SuggestReply) => {
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      if ('error' in reply) waiter.reject(new Error(reply.error));
      else waiter.resolve(reply.output);
    });
    const fail = (err: Error): void => {
      for (const w of this.pending.values()) w.reject(err);
      this.pending.clear();
      if (this.worker === worker) this.worker = undefined;
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the suggestion worker exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }
}
