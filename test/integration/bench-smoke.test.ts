import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { killBenchChildren, parseCpuSeconds, parsePeakRssKiB } from '../../bench/lib/child.js';
import { markdownTable, meets, ratioRow } from '../../bench/lib/report.js';
import { runSuite } from '../../bench/lib/suite.js';

describe('bench report', () => {
  it('judges ratios against <= and >= targets', () => {
    expect(meets(1.3, { op: '<=', bound: 1.3 })).toBe(true);
    expect(meets(1.31, { op: '<=', bound: 1.3 })).toBe(false);
    expect(meets(2.9, { op: '>=', bound: 3 })).toBe(false);
    expect(ratioRow('x', '1 s', '3 s', 3, { op: '>=', bound: 3 }).met).toBe(true);
  });

  it('renders one Markdown row per figure, unmet targets in bold', () => {
    const md = markdownTable([
      ratioRow('extraction', '13 s', '10 s', 1.3, { op: '<=', bound: 1.3 }),
      ratioRow('transform', '5 s', '2 s', 2.5, { op: '<=', bound: 2 }),
      { figure: 'end-to-end', ours: '20 s', other: '' },
    ]);
    expect(md.split('\n')).toEqual([
      '| figure | ours | floor or peer | ratio | target | met? |',
      '|---|---|---|---|---|---|',
      '| extraction | 13 s | 10 s | 1.30 | <= 1.3 | yes |',
      '| transform | 5 s | 2 s | 2.50 | <= 2 | **no** |',
      '| end-to-end | 20 s |  |  |  |  |',
    ]);
  });

  it('reads the peak RSS from /proc status text', () => {
    expect(
      parsePeakRssKiB('Name:\tnode\nVmPeak:\t 999999 kB\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\n'),
    ).toBe(204800);
    expect(parsePeakRssKiB('Name:\tkthreadd\n')).toBe(0);
  });

  it('reads CPU seconds (utime + stime) from /proc stat, command names with spaces included', () => {
    const stat = '123 (node my app) S 1 123 123 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 11 0 5 0 0';
    expect(parseCpuSeconds(stat)).toBe(3.25);
  });
});

describe('npm run bench -- --scale tiny', () => {
  it('measures run-all, the floors, the peer and the incremental run on the same data', async () => {
    // Its mock APIs and runs end with the test, also when it fails or times out.
    onTestFinished(killBenchChildren);
    const workDir = await mkdtemp(join(tmpdir(), 'bench-smoke-'));
    const r = await runSuite({
      scale: 'tiny',
      workDir,
      concurrency: 4,
      incrementalFraction: 0.01,
      network: { latencyMs: 20, days: 1 },
    });
    // The floor and the peer fetched exactly the records our extraction listed, child lists
    // included (the floor by the extractor's own page plan, the same pages); DuckDB copied at
    // least those (the events pass adds tombstones to entity Bronze).
    expect(r.full.records).toBeGreaterThan(100);
    expect(r.extract_floor.records).toBe(r.full.listed_records);
    // Page for page: no slice of the tiny world is dense enough for the extractor's timing-driven
    // extra splits (a rest of 8 pages or more within one day), so its plan is the floor's exactly.
    expect(r.extract_floor.pages).toBe(r.full.pages);
    expect(r.peer.records).toBe(r.extract_floor.records);
    expect(r.transform_floor.rows).toBeGreaterThanOrEqual(r.extract_floor.records);
    expect(Object.keys(r.full.stages)).toEqual(
      expect.arrayContaining(['extract', 'transform', 'references', 'quality', 'publish']),
    );
    expect(r.full.peak_rss_mib).toBeGreaterThan(30);
    expect(r.full.cpu_seconds).toBeGreaterThan(0.5);
    expect(r.full.mock_cpu_seconds).toBeGreaterThan(0);
    expect(r.extract_floor.cpu_seconds).toBeGreaterThan(0);
    expect(r.incremental.records).toBeGreaterThan(0);
    // over a network, our extraction and the peer fetched the same records
    expect(r.network?.ours_records).toBeGreaterThan(0);
    expect(r.network?.peer_records).toBe(r.network?.ours_records);
    expect(r.rows.map((row) => row.target?.bound)).toEqual([undefined, 1.3, 2, 3, 3, 0.1, 1, 1]);
    for (const row of r.rows.slice(1)) expect(Number.isFinite(row.ratio)).toBe(true);
    // Six runs of the pipeline and its floors: a backstop for a hang, not a speed bound (the
    // suite's duration says nothing here; `npm run bench` measures, on a quiet machine).
  }, 600_000);
});
