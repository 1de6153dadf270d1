import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GOLD_CONTRACTS } from '../../src/contracts/gold.js';
import { startMockApi } from '../../src/mock/index.js';
import { cliArgv } from '../helpers/cli.js';

const NOW = Date.UTC(2024, 5, 15, 12, 0, 0) / 1000;
const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * `run-all` in a real terminal (tmux, installed by `.ci/run`): what a person sees, read back
 * with `capture-pane` once the run ended. Log lines printed during progress must sit above the
 * bars, never inside them; with NO_COLOR there is no colour anywhere.
 */
describe('run-all in a terminal', () => {
  let mock: Awaited<ReturnType<typeof startMockApi>>;
  const session = `pp-term-${randomBytes(3).toString('hex')}`;
  beforeAll(async () => {
    mock = await startMockApi({ preset: 'tiny', now: NOW, port: 0, quiet: true });
  });
  afterAll(async () => {
    try {
      tmux('kill-session', '-t', session);
    } catch {}
    await mock?.close();
  });

  it('shows progress for every stage and the summary, no log line inside a bar, no colour with NO_COLOR', async () => {
    const root = await mkdtemp(join(tmpdir(), 'pp-term-'));
    const env = {
      API_BASE_URL: mock.url,
      API_KEY: 'sk_test_term',
      LOCAL_DATA_DIR: root,
      NO_COLOR: '1',
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
    };
    const cmd = `env -i ${Object.entries(env)
      .map(([k, v]) => `${k}=${quote(v)}`)
      .join(
        ' ',
      )} ${[process.execPath, ...cliArgv()].map(quote).join(' ')} run-all --until ${NOW}; echo EXIT=$?; sleep 120`;
    tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '50', cmd);
    let screen = '';
    for (let i = 0; i < 240 && !/EXIT=\d/.test(screen); i++) {
      await new Promise((r) => setTimeout(r, 500));
      screen = tmux('capture-pane', '-p', '-e', '-S', '-1000', '-t', session);
    }
    expect(screen).toContain('EXIT=0');
    expect(screen.match(/\u001b\[[0-9;]*[1-9][0-9;]*m/g) ?? []).toEqual([]);
    const lines = screen.split('\n');
    const bars = lines.filter((l) => /[#█░]{20}/.test(l));
    // extraction per entity, then every later stage with its done-of-total
    expect(
      bars.some((l) => /^ charges\s+\S+ \d+ records \| \d+ pages \| (\d+|-) rec\/s \| 0 retries/.test(l)),
    ).toBe(true);
    expect(bars.some((l) => /^ transform\s+\S+ (\d+)\/\1 models \| \d+ partitions written/.test(l))).toBe(
      true,
    );
    const gold = GOLD_CONTRACTS.length;
    expect(bars.some((l) => new RegExp(`^ gold\\s+\\S+ ${gold}/${gold} models`).test(l))).toBe(true);
    expect(bars.some((l) => /^ quality\s+\S+ (\d+)\/\1 checks/.test(l))).toBe(true);
    // a log line is whole and on its own row: it starts the row, and no bar shares it
    for (const l of lines) {
      if (/\b(INFO|WARN|ERROR):/.test(l)) expect(l, l).toMatch(/^\[\d\d:\d\d:\d\d\] (INFO|WARN|ERROR): /);
    }
    for (const b of bars) expect(b, b).not.toMatch(/INFO:|WARN:|ERROR:|\{"/);
    expect(screen).toMatch(/checks: \d+ passed, 0 failed/);
    expect(screen).toContain('run summary');
  });
});
