import { loadSettings } from '../config/load.js';
import type { Settings } from '../config/settings.js';
import { createLogger, type Logger } from '../obs/logger.js';
import { newRunId } from '../obs/run-id.js';

/** What every command gets: validated settings, a logger bound to the run, the run id. */
export interface CommandContext {
  readonly settings: Settings;
  readonly logger: Logger;
  readonly runId: string;
  readonly command: string;
  /** Whether stderr is a terminal (progress bars and the summary table). */
  readonly interactive: boolean;
}

export interface GlobalOptions {
  runId?: string;
  logLevel?: string;
  logFormat?: string;
}

/** Validates settings (.env < environment < flags) and builds the logger; throws ConfigError. */
export function createContext(
  command: string,
  globals: GlobalOptions,
  overrides: Record<string, string | undefined> = {},
): CommandContext {
  const settings = loadSettings({
    ...overrides,
    RUN_ID: globals.runId,
    LOG_LEVEL: globals.logLevel,
    LOG_FORMAT: globals.logFormat,
  });
  const runId = settings.RUN_ID ?? newRunId();
  const logger = createLogger({
    level: settings.LOG_LEVEL,
    format: settings.LOG_FORMAT,
    base: { run_id: runId },
  });
  return { settings, logger, runId, command, interactive: Boolean(process.stderr.isTTY) };
}
