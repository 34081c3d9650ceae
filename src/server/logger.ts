// The injected structured logger (pino underneath): constant messages, variables in fields.
import { pino } from 'pino';

export interface Logger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export function createLogger(options: { level: LogLevel; destination?: number | string }): Logger {
  const destination = pino.destination({ dest: options.destination ?? 2, sync: false });
  return pino({ level: options.level, base: null }, destination);
}
