// The injected structured logger (pino underneath): constant messages, variables in fields.
import { pino } from 'pino';

export type { Logger } from '../api/logger.js';
import type { Logger } from '../api/logger.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export function createLogger(options: { level: LogLevel; destination?: number | string }): Logger {
  const destination = pino.destination({ dest: options.destination ?? 2, sync: false });
  return pino({ level: options.level, base: null }, destination);
}
