/**
 * Mock API options: named volumes (presets), flags and `MOCK_…` variables.
 */

export type MockPreset = 'tiny' | 'demo' | '100k' | '1m';

/** Options of `startMockApi`; unset volume fields come from the preset (default `demo`). */
export interface MockOptions {
  host?: string;
  port?: number;
  seed?: number;
  /** History length in days before the clock's start. */
  days?: number;
  chargesPerDay?: number;
  customersPerDay?: number;
  preset?: MockPreset;
  /** Unix seconds: freeze the clock there (else the wall clock runs). */
  now?: number;
  /** No log line on start. */
  quiet?: boolean;
  /** Share of events (0-1) rendered in the older API version (default 0.2). */
  oldVersionShare?: number;
  /** Children a parent embeds (`items`, `lines`) before `has_more` (default 10, as Stripe). */
  embeddedListLimit?: number;
}

export interface MockVolume {
  readonly days: number;
  readonly chargesPerDay: number;
  readonly customersPerDay: number;
}

/**
 * Named volumes. `1m` is about 1,000,000 one-off charges (365 × 2,740) plus subscription
 * charges and every related object; `tiny` is a few hundred objects for unit tests.
 */
export const MOCK_PRESETS: Readonly<Record<MockPreset, MockVolume>> = {
  tiny: { days: 3, chargesPerDay: 30, customersPerDay: 4 },
  demo: { days: 60, chargesPerDay: 60, customersPerDay: 15 },
  '100k': { days: 365, chargesPerDay: 274, customersPerDay: 30 },
  '1m': { days: 365, chargesPerDay: 2740, customersPerDay: 300 },
};

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8000;
export const DEFAULT_SEED = 42;

/** A flag or variable with a value the mock does not accept. */
export class MockOptionError extends Error {
  constructor(
    readonly option: string,
    readonly value: string,
    readonly accepts: string,
  ) {
    super(`invalid ${option} "${value}": expected ${accepts}`);
    this.name = 'MockOptionError';
  }
}

/** The volume an options object resolves to: explicit fields over the preset over `demo`. */
export function resolveVolume(o: MockOptions): MockVolume {
  const base = MOCK_PRESETS[o.preset ?? 'demo'];
  return {
    days: o.days ?? base.days,
    chargesPerDay: o.chargesPerDay ?? base.chargesPerDay,
    customersPerDay: o.customersPerDay ?? base.customersPerDay,
  };
}

/** Parses `<unix seconds>` or an ISO 8601 time into unix seconds; NaN when neither. */
export function parseTime(value: string): number {
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.floor(Number(v));
  if (!/^\d{4}-\d{2}-\d{2}/.test(v)) return Number.NaN;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? Number.NaN : Math.floor(ms / 1000);
}

interface Spec {
  readonly flag: string;
  readonly env: string;
  readonly camel: string;
}

const spec = (flag: string, camel: string): Spec => ({
  flag,
  camel,
  env: `MOCK_${flag.toUpperCase().replaceAll('-', '_')}`,
});

const SPECS = {
  host: spec('host', 'host'),
  port: spec('port', 'port'),
  seed: spec('seed', 'seed'),
  days: spec('days', 'days'),
  chargesPerDay: spec('charges-per-day', 'chargesPerDay'),
  customersPerDay: spec('customers-per-day', 'customersPerDay'),
  preset: spec('preset', 'preset'),
  now: spec('now', 'now'),
  oldVersionShare: spec('old-version-share', 'oldVersionShare'),
  embeddedListLimit: spec('embedded-list-limit', 'embeddedListLimit'),
} as const;

/**
 * Reads the mock's options from CLI flags (kebab or camel keys) and `MOCK_…` variables; a flag
 * beats its variable. Throws `MockOptionError` naming the flag or variable on a bad value.
 *
 * @example parseMockOptions({ preset: 'tiny', now: '2026-01-01T00:00:00Z' }, process.env)
 */
export function parseMockOptions(
  flags: Record<string, string | undefined>,
  env: NodeJS.ProcessEnv,
): MockOptions {
  const get = (s: Spec): { value: string; name: string } | undefined => {
    const f = flags[s.flag] ?? flags[s.camel];
    if (f !== undefined && f !== '') return { value: String(f), name: `--${s.flag}` };
    const e = env[s.env];
    if (e !== undefined && e !== '') return { value: e, name: s.env };
    return undefined;
  };
  const int = (s: Spec, min: number, max: number): number | undefined => {
    const got = get(s);
    if (!got) return undefined;
    const n = Number(got.value);
    if (!/^\d+$/.test(got.value.trim()) || n < min || n > max) {
      throw new MockOptionError(got.name, got.value, `an integer from ${min} to ${max}`);
    }
    return n;
  };
  const out: MockOptions = {};
  const host = get(SPECS.host);
  if (host) out.host = host.value;
  const port = int(SPECS.port, 0, 65535);
  if (port !== undefined) out.port = port;
  const seed = int(SPECS.seed, 0, 2 ** 31 - 1);
  if (seed !== undefined) out.seed = seed;
  const days = int(SPECS.days, 0, 3650);
  if (days !== undefined) out.days = days;
  const cpd = int(SPECS.chargesPerDay, 0, 100_000);
  if (cpd !== undefined) out.chargesPerDay = cpd;
  const cupd = int(SPECS.customersPerDay, 0, 100_000);
  if (cupd !== undefined) out.customersPerDay = cupd;
  const preset = get(SPECS.preset);
  if (preset) {
    if (!(preset.value in MOCK_PRESETS)) {
      throw new MockOptionError(preset.name, preset.value, Object.keys(MOCK_PRESETS).join(' | '));
    }
    out.preset = preset.value as MockPreset;
  }
  const now = get(SPECS.now);
  if (now) {
    const t = parseTime(now.value);
    if (Number.isNaN(t)) throw new MockOptionError(now.name, now.value, 'unix seconds or an ISO 8601 time');
    out.now = t;
  }
  const share = get(SPECS.oldVersionShare);
  if (share) {
    const n = Number(share.value);
    if (!/^\d+(\.\d+)?$/.test(share.value.trim()) || n > 1)
      throw new MockOptionError(share.name, share.value, 'a share from 0 to 1');
    out.oldVersionShare = n;
  }
  const embedded = int(SPECS.embeddedListLimit, 1, 100);
  if (embedded !== undefined) out.embeddedListLimit = embedded;
  return out;
}
