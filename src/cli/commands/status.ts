import Table from 'cli-table3';
import { GOLD_MODELS } from '../../contracts/gold.js';
import { ENTITY_NAMES } from '../../entities/lookups.js';
import { colorEnabled, tableStyle } from '../../obs/color.js';
import { listRunIds, readManifest } from '../../state/manifest.js';
import { listStagings, STAGING_RETENTION_MS } from '../../state/promote.js';
import { readLatest } from '../../state/publish.js';
import { layout } from '../../storage/layout.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { readJsonObject } from '../../storage/read-json.js';
import type { CommandContext } from '../context.js';
import { storeFor } from '../store.js';

export interface StatusReport {
  data_root: string;
  watermarks: Record<
    string,
    {
      created_watermark: number | null;
      events_watermark: number | null;
      run_id: string;
      updated_at: string;
    } | null
  >;
  runs: {
    run_id: string;
    command: string;
    status: string;
    started_at: string;
    finished_at?: string;
    error?: string;
  }[];
  latest: Record<
    string,
    {
      run_id: string;
      row_count: number;
      partitions: number;
      max_business_ts: number | null;
      age_hours: number | null;
      updated_at: string;
    } | null
  >;
  /** Partitions of runs that did not publish (failed checks, killed), kept for inspection until `expires_at`. */
  staging: { run_id: string; objects: number; bytes: number; last_write: string; expires_at: string }[];
}

/** Everything `status` shows, from state alone (no API call, no data scan). */
export async function collectStatus(
  store: ObjectStore,
  now = Date.now() / 1000,
  recent = 10,
): Promise<StatusReport> {
  const [watermarks, runIds, latest, stagings] = await Promise.all([
    Promise.all(
      ENTITY_NAMES.map(
        async (e) =>
          [
            e,
            (await readJsonObject<StatusReport['watermarks'][string]>(store, layout.watermark(e))) ?? null,
          ] as const,
      ),
    ),
    listRunIds(store),
    Promise.all(GOLD_MODELS.map(async (m) => [m, await readLatest(store, m)] as const)),
    listStagings(store),
  ]);
  const runs = await Promise.all(
    runIds.slice(0, recent).map(async (id) => {
      const m = await readManifest(store, id);
      return {
        run_id: id,
        command: m?.command ?? '?',
        status: m?.status ?? '?',
        started_at: m?.started_at ?? '?',
        ...(m?.finished_at ? { finished_at: m.finished_at } : {}),
        ...(m?.error ? { error: `${m.error.step}: ${m.error.message}` } : {}),
      };
    }),
  );
  return {
    data_root: store.root,
    watermarks: Object.fromEntries(watermarks),
    runs,
    latest: Object.fromEntries(
      latest.map(([m, p]) => [
        m,
        p
          ? {
              run_id: p.run_id,
              row_count: p.row_count,
              partitions: p.keys.length,
              max_business_ts: p.max_business_ts,
              age_hours:
                p.max_business_ts === null ? null : Math.round(((now - p.max_business_ts) / 3600) * 10) / 10,
              updated_at: p.updated_at,
            }
          : null,
      ]),
    ),
    staging: stagings.map((s) => ({
      run_id: s.run_id,
      objects: s.objects,
      bytes: s.bytes,
      last_write: new Date(s.newest_ms).toISOString(),
      expires_at: new Date(s.newest_ms + STAGING_RETENTION_MS).toISOString(),
    })),
  };
}

const iso = (t: number | null | undefined) =>
  typeof t === 'number' ? new Date(t * 1000).toISOString() : '-';

/**
 * What a monitor should page about (`status --check`): the last finished run failed, or a
 * published model's newest data is older than `maxHours`. Empty when all is well.
 */
export function statusProblems(report: StatusReport, maxHours: number): string[] {
  const problems: string[] = [];
  // By finish time: run ids given with --run-id need not sort by time.
  const last = report.runs
    .filter((r) => r.finished_at !== undefined)
    .sort((a, b) => (b.finished_at ?? '').localeCompare(a.finished_at ?? ''))[0];
  if (last?.status === 'failed')
    problems.push(`the last finished run ${last.run_id} failed${last.error ? ` (${last.error})` : ''}`);
  for (const [model, p] of Object.entries(report.latest)) {
    if (p && p.age_hours !== null && p.age_hours > maxHours)
      problems.push(`${model} is stale: newest data ${p.age_hours} h old (FRESHNESS_MAX_HOURS=${maxHours})`);
  }
  if (report.runs.length === 0) problems.push('no run has happened yet');
  return problems;
}

/** `status`: watermarks, recent runs, `_latest` pointers and their freshness. */
export default async function status(
  opts: { json?: boolean; check?: boolean },
  ctx: CommandContext,
): Promise<number> {
  const report = await collectStatus(storeFor(ctx));
  const problems = statusProblems(report, ctx.settings.FRESHNESS_MAX_HOURS);
  const code = opts.check && problems.length > 0 ? 1 : 0;
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(opts.check ? { ...report, problems } : report, null, 2)}\n`);
    return code;
  }
  const style = tableStyle(colorEnabled(process.stdout));
  const wm = new Table({ head: ['entity', 'created watermark', 'events watermark', 'run'], ...style });
  for (const [e, w] of Object.entries(report.watermarks))
    wm.push([e, iso(w?.created_watermark), iso(w?.events_watermark), w?.run_id ?? 'never extracted']);
  const runs = new Table({ head: ['run', 'command', 'status', 'started', 'error'], ...style });
  for (const r of report.runs) runs.push([r.run_id, r.command, r.status, r.started_at, r.error ?? '']);
  const latest = new Table({
    head: ['model', 'run', 'rows', 'partitions', 'newest data', 'age (h)'],
    ...style,
  });
  for (const [m, p] of Object.entries(report.latest)) {
    latest.push(
      p
        ? [m, p.run_id, p.row_count, p.partitions, iso(p.max_business_ts), p.age_hours ?? '-']
        : [m, 'never published', '', '', '', ''],
    );
  }
  const staged = report.staging
    .map(
      (s) =>
        `  ${layout.staging(s.run_id)}  ${s.objects} objects, ${s.bytes} bytes, removed after ${s.expires_at}\n`,
    )
    .join('');
  process.stdout.write(
    `data root: ${report.data_root}\n\nwatermarks\n${wm}\n\nrecent runs\n${runs}\n\n_latest\n${latest}\n` +
      (staged ? `\nunpublished staging (runs that failed or were killed)\n${staged}` : ''),
  );
  if (opts.check)
    process.stdout.write(
      problems.length > 0
        ? `\ncheck FAILED:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`
        : '\ncheck passed\n',
    );
  return code;
}
