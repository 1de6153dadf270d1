import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level: string;
  format: 'json' | 'pretty';
  /** Fields on every line, e.g. `{ run_id }`. */
  base?: Record<string, unknown>;
}

/**
 * Structured logs on stderr: JSON lines for machines, colourised lines in a terminal.
 * Secrets are removed by path as a second line of defence (they are never logged on purpose).
 */
export function createLogger(opts: LoggerOptions): Logger {
  const options: pino.LoggerOptions = {
    level: opts.level,
    base: opts.base ?? {},
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: {
      paths: [
        'API_KEY',
        'WEBHOOK_SECRET',
        '*.API_KEY',
        '*.WEBHOOK_SECRET',
        'headers.authorization',
        'apiKey',
        'secret',
      ],
      censor: '[REDACTED]',
    },
  };
  if (opts.format === 'pretty') {
    return pino(
      options,
      pretty({
        destination: 2,
        sync: true,
        colorize: true,
        ignore: 'pid,hostname',
        translateTime: 'HH:MM:ss',
      }),
    );
  }
  return pino(options, pino.destination({ fd: 2, sync: true }));
}

/** A logger that drops everything, for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
