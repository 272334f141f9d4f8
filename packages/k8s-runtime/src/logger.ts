import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs (pino); level from LOG_LEVEL, default info. */
export function createLogger(options: { name?: string; level?: string } = {}): Logger {
  return pino({
    name: options.name,
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}

/** A logger that discards everything (tests, libraries used without a manager). */
export const silentLogger: Logger = pino({ level: 'silent' });
