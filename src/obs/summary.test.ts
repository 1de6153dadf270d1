import { describe, expect, it } from 'vitest';
import { colorEnabled } from './color.js';
import { extractionRate, fitLine } from './progress.js';
import { renderSummary, summaryLogFields } from './summary.js';

const summary = {
  runId: 'r1',
  status: 'failed' as const,
  seconds: 12.5,
  dataRoot: '/lake',
  extract: { customers: { pages: 3, records: 250, retries: 1 } },
  fetchedById: { customers: 40, charges: 2 },
  transform: { 'silver.customers': { partitions: 4, rows: 290, seconds: 0.4 } },
  quality: {
    passed: false,
    checks: [
      { name: 'schema.silver.customers', severity: 'error', passed: true },
      { name: 'ref.charges.customer_id', severity: 'error', passed: false },
      { name: 'freshness.daily_overview', severity: 'warn', passed: false },
    ],
  },
  published: [],
  stageSeconds: { extract: 2, quality: 1 },
  peakRssMib: 300,
};

describe('summaryLogFields', () => {
  it('holds per entity records, pages, retries and objects fetched by id, checks by outcome, stages and peak RSS', () => {
    expect(summaryLogFields(summary)).toEqual({
      status: 'failed',
      seconds: 12.5,
      entities: {
        customers: { records: 250, pages: 3, retries: 1, by_id: 40 },
        charges: { records: 0, pages: 0, retries: 0, by_id: 2 },
      },
      models: { 'silver.customers': { partitions: 4, rows: 290 } },
      checks: {
        total: 3,
        passed: 1,
        failed: ['ref.charges.customer_id'],
        warnings: ['freshness.daily_overview'],
      },
      published: [],
      stage_seconds: { extract: 2, quality: 1 },
      peak_rss_mib: 300,
    });
  });

  it('the terminal summary shows the objects fetched by id and no ANSI codes without colour', () => {
    const text = renderSummary(summary, false);
    expect(text).toMatch(/customers\s+│\s+250\s+│\s+40\s+│/);
    expect(text).toMatch(/charges\s+│\s+0\s+│\s+2\s+│/);
    expect(text).not.toContain('\u001b[');
    expect(text).toContain('checks: 1 passed, 1 failed, 1 warning\n');
  });
});

describe('colorEnabled', () => {
  it('only on a terminal, never with NO_COLOR (any non-empty value) or TERM=dumb', () => {
    expect(colorEnabled({ isTTY: true }, {})).toBe(true);
    expect(colorEnabled({ isTTY: false }, {})).toBe(false);
    expect(colorEnabled({}, {})).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(colorEnabled({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
  });
});

describe('extractionRate', () => {
  it('records per second since extraction started, unknown for the first moments', () => {
    expect(extractionRate(1000, 0, 2000)).toBe('500');
    expect(extractionRate(1000, 0, 100)).toBe('-');
  });
});

describe('fitLine', () => {
  it('cuts to the visible width, colour codes kept whole and not counted', () => {
    expect(fitLine('abcdef', 10)).toBe('abcdef');
    expect(fitLine('abcdef', 4)).toBe('abc\u001b[0m…');
    expect(fitLine('\u001b[32mINFO\u001b[39m: abcdef', 8)).toBe('\u001b[32mINFO\u001b[39m: a\u001b[0m…');
    expect(fitLine('abcd', 4)).toBe('abcd');
  });
});
