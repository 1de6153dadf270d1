import { ConfigError } from './settings.js';

/**
 * Whether `YYYY-MM-DD` names a real calendar day: `Date.parse` rolls `2024-02-30` over to March 1st
 * instead of refusing it, so the parsed date must print back as given.
 */
function isCalendarDate(ymd: string): boolean {
  const ms = Date.parse(`${ymd}T00:00:00Z`);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === ymd;
}

/** Parses a point in time given as Unix seconds or an ISO 8601 string; throws naming `what`. */
export function parseTimeArg(value: string, what: string): number {
  const v = value.trim();
  if (/^\d{1,12}$/.test(v)) return Number(v);
  const ms = Date.parse(v);
  if (!/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(ms) || !isCalendarDate(v.slice(0, 10))) {
    throw new ConfigError(`${what}: expected Unix seconds or an ISO 8601 time, got "${value}"`);
  }
  return Math.floor(ms / 1000);
}

/** Parses a `YYYY-MM-DD` UTC date into Unix seconds at midnight; throws naming `what`. */
export function parseDateArg(value: string, what: string): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || !isCalendarDate(value)) {
    throw new ConfigError(`${what}: expected a date YYYY-MM-DD, got "${value}"`);
  }
  return Math.floor(Date.parse(`${value}T00:00:00Z`) / 1000);
}

/** Parses a positive whole number of days (`--days`); throws a ConfigError (exit 2) naming `what`. */
export function parseDaysArg(value: string, what: string): number {
  const v = value.trim();
  if (!/^\d{1,4}$/.test(v) || Number(v) < 1 || Number(v) > 3650) {
    throw new ConfigError(`${what}: expected a whole number of days from 1 to 3650, got "${value}"`);
  }
  return Number(v);
}
