import { describe, expect, it } from 'vitest';
import { parseDateArg, parseDaysArg, parseTimeArg } from './time.js';

describe('time arguments', () => {
  it('parses unix seconds and ISO times', () => {
    expect(parseTimeArg('1700000000', '--until')).toBe(1_700_000_000);
    expect(parseTimeArg('2024-01-02T03:04:05Z', '--until')).toBe(1_704_164_645);
    expect(() => parseTimeArg('yesterday', '--until')).toThrow('--until');
  });
  it('parses dates', () => {
    expect(parseDateArg('2024-01-02', '--from')).toBe(1_704_153_600);
    expect(() => parseDateArg('2024-13-02', '--from')).toThrow('--from');
    expect(() => parseDateArg('2024-1-2', '--from')).toThrow('YYYY-MM-DD');
  });
  it('refuses days that do not exist instead of rolling them over', () => {
    expect(() => parseDateArg('2024-02-30', '--from')).toThrow('--from');
    expect(() => parseDateArg('2023-02-29', '--to')).toThrow('--to');
    expect(parseDateArg('2024-02-29', '--from')).toBe(1_709_164_800);
    expect(() => parseTimeArg('2024-04-31T00:00:00Z', '--until')).toThrow('--until');
  });
  it('parses --days', () => {
    expect(parseDaysArg('7', '--days')).toBe(7);
    for (const bad of ['abc', '0', '-1', '1.5', '', '99999'])
      expect(() => parseDaysArg(bad, '--days')).toThrow('--days');
  });
});
