import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import { colorEnabled } from './color.js';
import { terminalStream } from './terminal.js';

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
    hooks: { logMethod: withoutRepeatedKeys },
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
        // stderr, or above the progress bars while they are drawn
        destination: terminalStream(),
        colorize: colorEnabled(process.stderr),
        ignore: 'pid,hostname',
        // one line per entry: readable above the progress bars
        singleLine: true,
        translateTime: 'HH:MM:ss',
      }),
    );
  }
  return pino(options, pino.destination({ fd: 2, sync: true }));
}

/** Keys pino writes on every line itself. */
const OWN_KEYS = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

/**
 * pino writes a child's bindings and the logged object side by side, so
 * `logger.child({ step }).info({ step }, …)` printed `"step":"transform","step":"transform"`
 * (a strict parser rejects the line; others keep either value). A key the line already carries
 * is dropped from the logged object when the value is the same, and renamed `<key>_detail`
 * when it differs, so that no line repeats a key and nothing logged is lost.
 */
function withoutRepeatedKeys(this: Logger, args: Parameters<pino.LogFn>, method: pino.LogFn): void {
  const first = args[0] as unknown;
  if (first && typeof first === 'object' && !Array.isArray(first) && !(first instanceof Error)) {
    const bound = this.bindings();
    const obj = first as Record<string, unknown>;
    const clash = Object.keys(obj).filter((k) => k in bound || OWN_KEYS.has(k));
    if (clash.length > 0) {
      const copy: Record<string, unknown> = { ...obj };
      for (const k of clash) {
        const v = copy[k];
        delete copy[k];
        if (OWN_KEYS.has(k) || JSON.stringify(v) !== JSON.stringify(bound[k])) copy[`${k}_detail`] = v;
      }
      args[0] = copy as never;
    }
  }
  method.apply(this, args as never);
}

/** A logger that drops everything, for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
