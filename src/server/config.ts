// Floe's typed configuration, parsed once at the entry point and passed down.
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { LogLevel } from './logger.js';

export interface FloeConfig {
  /** One folder for the database, logs, artifacts and volumes. Deleting it resets Floe. */
  dataDir: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Required when `host` is not a loopback address. */
  token?: string;
  logLevel: LogLevel;
  /** Change-log entries kept for watch resumption. */
  historyLimit: number;
  bookmarkIntervalMs: number;
  maxBodyBytes: number;
}

export const defaultConfig = (): FloeConfig => ({
  dataDir: join(homedir(), '.floe'),
  host: '127.0.0.1',
  port: 8443,
  logLevel: 'info',
  historyLimit: 200_000,
  bookmarkIntervalMs: 60_000,
  maxBodyBytes: 3 * 1024 * 1024,
});

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
