import { type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger };

/** The one pino root of a process; components take `root.child({ svc })`. */
export function createLogger(level: string, options: LoggerOptions = {}): Logger {
  return pino({ level, base: { app: 'sawbrain' }, ...options });
}

/** A logger that discards everything (tests that do not look at logs). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
