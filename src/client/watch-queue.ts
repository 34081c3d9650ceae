// WatchQueue: an unbounded async queue of watch events behind a WatchStream, ending on close or on a failure.
import type { KubeObject, WatchEvent } from '../api/meta.js';
import type { WatchStream } from './client.js';

interface Waiter<T extends KubeObject> {
  resolve: (result: IteratorResult<WatchEvent<T>>) => void;
  reject: (err: Error) => void;
}

/**
 * Producers `push` events and end the stream with `close` or `fail`; the consumer iterates. Events already
 * queued are still delivered after the end, then the failure (if any) is thrown once, then iteration is done.
 */
export class WatchQueue<T extends KubeObject = KubeObject> implements WatchStream<T> {
  private readonly items: WatchEvent<T>[] = [];
  private waiter: Waiter<T> | undefined;
  private failure: Error | undefined;
  private ended = false;
  private closers: (() => void)[] = [];

  /** Whether the stream has ended (closed or failed); later pushes are dropped. */
  get closed(): boolean {
    return this.ended;
  }

  push(event: WatchEvent<T>): void {
    if (this.ended) return;
    const waiter = this.take();
    if (waiter) waiter.resolve({ value: event, done: false });
    else this.items.push(event);
  }

  /** Ends the stream with an error the consumer sees after the events already queued. */
  fail(err: Error): void {
    if (this.ended) return;
    this.end();
    const waiter = this.take();
    if (waiter) waiter.reject(err);
    else this.failure = err;
  }

  /** Runs `fn` once when the stream ends, however it ends (to release the connection or subscription). */
  onClose(fn: () => void): void {
    if (this.ended) fn();
    else this.closers.push(fn);
  }

  close(): void {
    if (this.ended) return;
    this.end();
    this.take()?.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchEvent<T>> {
    return {
      next: () => {
        const item = this.items.shift();
        if (item) return Promise.resolve({ value: item, done: false });
        if (this.failure) {
          const failure = this.failure;
          this.failure = undefined;
          return Promise.reject(failure);
        }
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => {
          this.waiter = { resolve, reject };
        });
      },
      return: () => {
        this.close();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  private take(): Waiter<T> | undefined {
    const waiter = this.waiter;
    this.waiter = undefined;
    return waiter;
  }

  private end(): void {
    this.ended = true;
    const closers = this.closers;
    this.closers = [];
    for (const fn of closers) fn();
  }
}
