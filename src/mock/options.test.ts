import { describe, expect, it } from 'vitest';
import { MOCK_PRESETS, MockOptionError, parseMockOptions, parseTime, resolveVolume } from './options.js';

describe('parseMockOptions', () => {
  it('reads flags (kebab or camel) and MOCK_ variables, flags winning', () => {
    const o = parseMockOptions(
      { port: '0', 'charges-per-day': '12', customersPerDay: '3', now: '2026-01-01T00:00:00Z' },
      { MOCK_PORT: '9000', MOCK_SEED: '5', MOCK_PRESET: '1m', MOCK_HOST: '0.0.0.0' },
    );
    expect(o).toEqual({
      host: '0.0.0.0',
      port: 0,
      seed: 5,
      preset: '1m',
      chargesPerDay: 12,
      customersPerDay: 3,
      now: 1767225600,
    });
    expect(resolveVolume(o)).toEqual({
      days: MOCK_PRESETS['1m'].days,
      chargesPerDay: 12,
      customersPerDay: 3,
    });
  });

  it('accepts unix seconds for --now and defaults to nothing', () => {
    expect(parseMockOptions({ now: '1767225600' }, {})).toEqual({ now: 1767225600 });
    expect(parseMockOptions({}, {})).toEqual({});
    expect(parseMockOptions({ 'old-version-share': '0.5' }, { MOCK_OLD_VERSION_SHARE: '1' })).toEqual({
      oldVersionShare: 0.5,
    });
    expect(parseMockOptions({}, { MOCK_OLD_VERSION_SHARE: '0' })).toEqual({ oldVersionShare: 0 });
    expect(parseMockOptions({ 'embedded-list-limit': '2' }, { MOCK_EMBEDDED_LIST_LIMIT: '5' })).toEqual({
      embeddedListLimit: 2,
    });
    expect(parseMockOptions({}, { MOCK_EMBEDDED_LIST_LIMIT: '1' })).toEqual({ embeddedListLimit: 1 });
    expect(resolveVolume({})).toEqual(MOCK_PRESETS.demo);
  });

  it.each([
    [{ port: '70000' }, {}, '--port'],
    [{}, { MOCK_DAYS: 'ten' }, 'MOCK_DAYS'],
    [{ preset: 'huge' }, {}, '--preset'],
    [{}, { MOCK_NOW: 'yesterday' }, 'MOCK_NOW'],
    [{ 'charges-per-day': '-1' }, {}, '--charges-per-day'],
    [{ 'old-version-share': '1.5' }, {}, '--old-version-share'],
    [{}, { MOCK_OLD_VERSION_SHARE: 'half' }, 'MOCK_OLD_VERSION_SHARE'],
    [{ 'embedded-list-limit': '0' }, {}, '--embedded-list-limit'],
    [{}, { MOCK_EMBEDDED_LIST_LIMIT: '101' }, 'MOCK_EMBEDDED_LIST_LIMIT'],
  ])('rejects %j %j naming %s', (flags, env, name) => {
    expect(() => parseMockOptions(flags, env)).toThrowError(MockOptionError);
    expect(() => parseMockOptions(flags, env)).toThrowError(name);
  });

  it('parseTime', () => {
    expect(parseTime('2026-03-15T12:00:00Z')).toBe(1773576000);
    expect(Number.isNaN(parseTime('soon'))).toBe(true);
  });
});
