#!/usr/bin/env node
// Renders a run manifest (_state/manifests/run_<run_id>.json) as Markdown for a GitHub Actions job
// summary: records per entity, partitions and rows per model, checks passed and failed, what was
// published. Reads the manifest through the project's own object store (LOCAL or S3, from the same
// settings the run used), or from a file with --manifest. Appends to $GITHUB_STEP_SUMMARY when set,
// and prints to stdout.
//
//   node scripts/job-summary.mjs --run-id <id>            (needs dist/: npm run build)
//   node scripts/job-summary.mjs --manifest path/to/run_<id>.json
//
// Exit codes: 0 rendered; 1 the manifest is missing or unreadable (said in the summary too); 2 usage.
import { appendFileSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

/** Escapes what would break a Markdown table cell. */
function cell(v) {
  return String(v ?? '')
    .replaceAll('|', '\\|')
    .replaceAll('\n', ' ');
}

/** A Markdown table; `align` has one letter per column, `l` or `r` (numbers). */
function table(head, align, rows) {
  if (rows.length === 0) return [];
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map((_, i) => (align[i] === 'r' ? '---:' : '---')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ];
}

function seconds(m) {
  const a = Date.parse(m.started_at);
  const b = Date.parse(m.finished_at ?? '');
  return Number.isFinite(a) && Number.isFinite(b) ? `${((b - a) / 1000).toFixed(1)} s` : 'n/a';
}

const num = (v) => (typeof v === 'number' ? v.toLocaleString('en-US') : '');

/** The Markdown for one manifest (SPEC section 10). Pure: tests and the CLI below share it. */
export function renderJobSummary(m) {
  const icon = m.status === 'succeeded' ? '✅' : m.status === 'failed' ? '❌' : '⏳';
  const out = [
    `## payments-pipeline \`${cell(m.command)}\` run \`${cell(m.run_id)}\`: ${m.status} ${icon}`,
    '',
  ];
  out.push(
    `started ${m.started_at ?? '?'}, finished ${m.finished_at ?? '(not finished)'}, took ${seconds(m)}`,
  );
  if (m.settings?.PIPELINE_ENV) out.push(`storage: ${m.settings.PIPELINE_ENV}`);
  if (m.error) out.push('', `**error** in \`${cell(m.error.step)}\`: ${cell(m.error.message)}`);

  const extract = Object.entries(m.extract ?? {});
  if (extract.length > 0) {
    const total = extract.reduce((n, [, e]) => n + (e.records ?? 0), 0);
    out.push('', `### Extract: ${num(total)} records`, '');
    out.push(
      ...table(
        ['entity', 'records', 'pages', 'retries', 'Bronze parts'],
        'lrrrr',
        extract.map(([name, e]) => [
          name,
          num(e.records),
          num(e.pages),
          num(e.retries),
          num(e.bronze_keys?.length ?? 0),
        ]),
      ),
    );
  }

  const transform = Object.entries(m.transform ?? {});
  if (transform.length > 0) {
    out.push('', '### Transform', '');
    out.push(
      ...table(
        ['model', 'partitions', 'rows', 'seconds'],
        'lrrr',
        transform.map(([name, t]) => [name, num(t.partitions), num(t.rows), (t.seconds ?? 0).toFixed(2)]),
      ),
    );
  }

  if (m.quality) {
    const checks = m.quality.checks ?? [];
    const failed = checks.filter((c) => !c.passed);
    out.push('', `### Quality: ${checks.length - failed.length} passed, ${failed.length} failed`, '');
    out.push(
      ...table(
        ['failed check', 'severity', 'details'],
        'lll',
        failed.map((c) => [c.name, c.severity, JSON.stringify(c.details ?? {}).slice(0, 300)]),
      ),
    );
    if (checks.length > 0) {
      out.push('', '<details><summary>all checks</summary>', '');
      out.push(
        ...table(
          ['check', 'severity', 'result'],
          'lll',
          checks.map((c) => [c.name, c.severity, c.passed ? 'passed' : 'FAILED']),
        ),
      );
      out.push('', '</details>');
    }
  }

  if (Array.isArray(m.published)) {
    const names = m.published.map((p) => (typeof p === 'string' ? p : p.model));
    out.push(
      '',
      `### Published \`_latest\`: ${names.length > 0 ? names.join(', ') : 'none (previous pointers kept)'}`,
    );
  }
  return `${out.join('\n')}\n`;
}

async function readFromStore(runId) {
  // The project's own settings and store: the same keys and credentials as the run itself.
  const { loadSettings } = await import('../dist/config/load.js');
  const { storeFor } = await import('../dist/cli/store.js');
  const store = storeFor({ settings: loadSettings() });
  const key = `_state/manifests/run_${runId}.json`;
  const bytes = await store.get(key);
  if (!bytes) throw new Error(`no manifest at ${store.root}/${key}`);
  return Buffer.from(bytes).toString('utf8');
}

function emit(markdown) {
  process.stdout.write(markdown);
  if (process.env.GITHUB_STEP_SUMMARY) appendFileSync(process.env.GITHUB_STEP_SUMMARY, markdown);
}

async function main() {
  let args;
  try {
    args = parseArgs({ options: { 'run-id': { type: 'string' }, manifest: { type: 'string' } } }).values;
  } catch (err) {
    process.stderr.write(`job-summary: ${err.message}\n`);
    return 2;
  }
  const runId = args['run-id'];
  if (!runId && !args.manifest) {
    process.stderr.write('usage: job-summary.mjs --run-id <id> | --manifest <file>\n');
    return 2;
  }
  let manifest;
  try {
    const text = args.manifest ? readFileSync(args.manifest, 'utf8') : await readFromStore(runId);
    manifest = JSON.parse(text);
  } catch (err) {
    emit(`## payments-pipeline run \`${runId ?? args.manifest}\`: no manifest\n\n${err.message}\n`);
    return 1;
  }
  emit(renderJobSummary(manifest));
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  process.exitCode = await main();
