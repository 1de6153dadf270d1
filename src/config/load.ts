import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'dotenv';
import { ConfigError, parseSettings, type Settings } from './settings.js';

/**
 * Merges `.env` (lowest), the process environment and CLI flags (highest) and validates them.
 * `overrides` holds settings given as CLI flags, keyed by their variable name.
 */
export function loadSettings(
  overrides: Readonly<Record<string, string | undefined>> = {},
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; isTTY?: boolean } = {},
): Settings {
  const env = opts.env ?? process.env;
  const merged: Record<string, string | undefined> = { ...readDotEnv(opts.cwd ?? process.cwd()), ...env };
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) merged[k] = v;
  return parseSettings(merged, { isTTY: opts.isTTY ?? Boolean(process.stderr.isTTY) });
}

/** The variables of `./.env`, if there is one. */
export function readDotEnv(cwd: string): Record<string, string> {
  const path = resolve(cwd, '.env');
  if (!existsSync(path)) return {};
  try {
    return parse(readFileSync(path));
  } catch (err) {
    throw new ConfigError(`${path}: cannot be read (${(err as Error).message})`);
  }
}
