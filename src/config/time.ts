import { ConfigError } from './settings.js';

/** Parses a point in time given as Unix seconds or an ISO 8601 string; throws naming `what`. */
export function parseTimeArg(value: string, what: string): number {
  const v = value.trim();
  if (/^\d{1,12}$/.test(v)) return Number(v);
  const ms = Date.parse(v);
  if (!/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(ms)) {
    throw new ConfigError(`${what}: expected Unix seconds or an ISO 8601 time, got "${value}"`);
  }
  return Math.floor(ms / 1000);
}

/** Parses a `YYYY-MM-DD` UTC date into Unix seconds at midnight; throws naming `what`. */
export function parseDateArg(value: string, what: string): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
    throw new ConfigError(`${what}: expected a date YYYY-MM-DD, got "${value}"`);
  }
  return Math.floor(Date.parse(`${value}T00:00:00Z`) / 1000);
}
