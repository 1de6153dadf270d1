import { describe, expect, it } from 'vitest';
import { parseDateArg, parseTimeArg } from './time.js';

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
});
