import { Command, InvalidArgumentError, Option } from 'commander';
import { readDotEnv } from '../config/load.js';
import { resolveSecretSettings } from '../config/secrets.js';
import { GOLD_MODELS } from '../contracts/gold.js';
import { SILVER_TABLES } from '../contracts/silver.js';
import { ENTITY_NAMES, isEntityName } from '../entities/lookups.js';
import { createContext, type GlobalOptions } from './context.js';

/** A command's implementation: typed options in, exit code out (0 unless it says otherwise). */
export type CommandRunner<O> = (
  opts: O,
  ctx: import('./context.js').CommandContext,
) => Promise<number | undefined>;

interface CommandSpec {
  name: string;
  description: string;
  example: string;
  options: Option[];
  /** A positional argument, passed to the command as `opts[key]`. */
  argument?: { name: string; description: string; key: string };
  load: () => Promise<{ default: CommandRunner<never> }>;
}

const untilOption = () =>
  new Option(
    '--until <time>',
    'exclusive end of every window: unix seconds or ISO time (default: run start)',
  );
const entityOption = () =>
  new Option('--entity <name>', `only this entity (repeatable): ${ENTITY_NAMES.join(', ')}`).argParser(
    (v: string, prev: string[] = []) => {
      if (!isEntityName(v))
        throw new InvalidArgumentError(`unknown entity; accepts ${ENTITY_NAMES.join(', ')}`);
      return [...prev, v];
    },
  );

/** A window of whole days, `--from` to `--to` included; `when` prefixes their help (`with --rebuild: `). */
const dayRangeOptions = (when = '') => [
  new Option('--from <date>', `${when}first day (YYYY-MM-DD, UTC)`),
  new Option('--to <date>', `${when}last day, included (YYYY-MM-DD, UTC)`),
];

/** Where a server listens; `env` names the settings the options override, if any. */
const listenOptions = (defaultPort: number, env?: { host: string; port: string }) => [
  new Option('--host <host>', `listen address (${env ? `${env.host}, ` : ''}default 127.0.0.1)`),
  new Option('--port <port>', `listen port (${env ? `${env.port}, ` : ''}default ${defaultPort})`),
];

/** A repeatable option whose values must be one of `names`. */
const listOf =
  (names: readonly string[], what: string) =>
  (v: string, prev: string[] = []) => {
    if (!names.includes(v)) throw new InvalidArgumentError(`unknown ${what}; accepts ${names.join(', ')}`);
    return [...prev, v];
  };

/** The command table: options, an example, and the module that runs it (imported only then). */
const COMMANDS: CommandSpec[] = [
  {
    name: 'run-all',
    description: 'extract, transform, quality checks and publishing of _latest pointers, under one run id',
    example: 'payments-pipeline run-all --until 2024-06-01T00:00:00Z',
    options: [
      untilOption(),
      new Option('--days <n>', "history fetched on an entity's first run (else DEFAULT_DAYS)"),
    ],
    load: () => import('./commands/run-all.js'),
  },
  {
    name: 'extract',
    description: 'extraction to Bronze only',
    example: 'payments-pipeline extract --entity charges --entity refunds --days 7',
    options: [
      entityOption(),
      new Option('--days <n>', 'history fetched on a first run (else DEFAULT_DAYS)'),
      untilOption(),
    ],
    load: () => import('./commands/extract.js'),
  },
  {
    name: 'transform',
    description:
      'Bronze -> Silver -> Gold for partitions with Bronze not yet built, staged, checked, then published',
    example: 'payments-pipeline transform --rebuild --from 2024-06-01 --to 2024-06-01 --entity charges',
    options: [
      new Option('--full-refresh', 'rebuild every partition'),
      new Option('--rebuild', 'rebuild the days --from..--to from Bronze (of --entity/--model, else all)'),
      ...dayRangeOptions('with --rebuild: '),
      new Option(
        '--entity <table>',
        `with --rebuild: this Silver table (repeatable): ${SILVER_TABLES.join(', ')}`,
      ).argParser(listOf(SILVER_TABLES, 'Silver table')),
      new Option(
        '--model <model>',
        `with --rebuild: this Gold model (repeatable): ${GOLD_MODELS.join(', ')}`,
      ).argParser(listOf(GOLD_MODELS, 'Gold model')),
    ],
    load: () => import('./commands/transform.js'),
  },
  {
    name: 'quality',
    description: 'run the data quality checks; exit 1 if an error-severity check fails',
    example: 'payments-pipeline quality --scope all',
    options: [
      new Option(
        '--scope <scope>',
        'Bronze read by the Bronze -> Silver reconciliation: changed (since the last passing run, ids of older Bronze from the id cache) or all (every Bronze line again)',
      )
        .choices(['changed', 'all'])
        .default('changed'),
    ],
    load: () => import('./commands/quality.js'),
  },
  {
    name: 'backfill',
    description: 're-extract a closed window regardless of watermarks, then transform',
    example: 'payments-pipeline backfill --from 2024-01-01 --to 2024-01-31',
    options: [...dayRangeOptions().map((o) => o.makeOptionMandatory()), entityOption()],
    load: () => import('./commands/backfill.js'),
  },
  {
    name: 'status',
    description: 'watermarks, recent runs, _latest pointers and their freshness',
    example: 'payments-pipeline status --json',
    options: [
      new Option('--json', 'machine-readable output'),
      new Option(
        '--check',
        'exit 1 when the last finished run failed or a published model is older than FRESHNESS_MAX_HOURS (for monitors)',
      ),
    ],
    load: () => import('./commands/status.js'),
  },
  {
    name: 'mock-api',
    description: 'serve the Stripe-like mock API',
    example: 'payments-pipeline mock-api --preset demo --port 8000',
    options: [
      ...listenOptions(8000, { host: 'MOCK_HOST', port: 'MOCK_PORT' }),
      new Option('--seed <n>', 'dataset seed (MOCK_SEED)'),
      new Option('--days <n>', 'history length before the clock start (MOCK_DAYS)'),
      new Option('--charges-per-day <n>', 'charges per day (MOCK_CHARGES_PER_DAY)'),
      new Option('--customers-per-day <n>', 'new customers per day (MOCK_CUSTOMERS_PER_DAY)'),
      new Option('--preset <name>', 'tiny|demo|100k|1m (MOCK_PRESET)'),
      new Option('--now <time>', 'freeze the clock: unix seconds or ISO time (MOCK_NOW)'),
      new Option(
        '--old-version-share <share>',
        'share of events (0-1) in the pre-2025 API version, default 0.2 (MOCK_OLD_VERSION_SHARE)',
      ),
      new Option(
        '--embedded-list-limit <n>',
        'children a parent embeds (items, lines) before has_more, 1-100, default 10 as Stripe (MOCK_EMBEDDED_LIST_LIMIT)',
      ),
    ],
    load: () => import('./commands/mock-api.js'),
  },
  {
    name: 'webhooks',
    description: 'serve the webhook receiver (POST /webhooks/stripe)',
    example: 'WEBHOOK_SECRET=whsec_... payments-pipeline webhooks --port 8001',
    options: [...listenOptions(8001)],
    load: () => import('./commands/webhooks.js'),
  },
  {
    name: 'catalog',
    description: 'print the DDL registering every published Silver and Gold table in DuckDB, Athena or Trino',
    example: 'payments-pipeline catalog --engine athena --location s3://my-lake/payments > catalog.sql',
    options: [
      new Option('--engine <engine>', 'SQL dialect of the DDL')
        .choices(['duckdb', 'athena', 'trino'])
        .makeOptionMandatory(),
      new Option('--location <uri>', 'root of the lake in the DDL (default: the data root of the settings)'),
      new Option(
        '--database <name>',
        'Athena database (default payments) or Trino catalog.schema (default hive.payments)',
      ),
      new Option('--since <date>', 'Athena: first day of the dt partition projection (default 2009-01-01)'),
    ],
    load: () => import('./commands/catalog.js'),
  },
  {
    name: 'query',
    description: 'read-only DuckDB SQL over the published lake: a view per Silver entity and Gold model',
    example: `payments-pipeline query "select currency, sum(sales_amount) from daily_overview group by all"`,
    argument: { name: '<sql>', description: 'SQL (SELECT, WITH, DESCRIBE, EXPLAIN)', key: 'sql' },
    options: [
      new Option('--format <format>', 'output format (default: table in a terminal, else csv)').choices([
        'table',
        'csv',
        'json',
      ]),
    ],
    load: () => import('./commands/query.js'),
  },
  {
    name: 'report',
    description:
      'the HTML run report of a run (outcome, stages, extraction, checks, charts of published Gold)',
    example: 'payments-pipeline report --out report.html',
    options: [
      new Option('--out <file>', 'write the report there (default: _state/reports/run_<run_id>.html)'),
    ],
    load: () => import('./commands/report.js'),
  },
];

/** Builds the commander program; `onExit` receives the exit code of the command that ran. */
export function buildProgram(version: string, onExit: (code: number) => void): Command {
  const program = new Command('payments-pipeline')
    .description('Stripe (or the bundled mock API) to a Bronze/Silver/Gold lake on disk or S3')
    .version(version, '-V, --version')
    .option('--run-id <id>', 'run id (else RUN_ID, else a new time-sortable id)')
    .option('--log-level <level>', 'trace|debug|info|warn|error|silent (else LOG_LEVEL)')
    .option('--log-format <format>', 'json|pretty (else LOG_FORMAT; default pretty on a TTY)')
    .showHelpAfterError()
    .exitOverride();
  for (const spec of COMMANDS) {
    const cmd = program
      .command(spec.name)
      .description(spec.description)
      .addHelpText('after', `\nExample:\n  $ ${spec.example}`)
      .exitOverride();
    for (const o of spec.options) cmd.addOption(o);
    if (spec.argument) cmd.argument(spec.argument.name, spec.argument.description);
    cmd.action(async (...args: unknown[]) => {
      // commander passes the positional arguments first, then the options, then the command
      const opts: Record<string, unknown> = {
        ...(args.at(-2) as Record<string, unknown>),
        ...(spec.argument ? { [spec.argument.key]: args[0] } : {}),
      };
      const globals = program.opts<GlobalOptions>();
      // API_KEY / WEBHOOK_SECRET from AWS when *_SECRET_ID / *_PARAMETER name them (else nothing).
      const secrets = await resolveSecretSettings({ ...readDotEnv(process.cwd()), ...process.env });
      const ctx = createContext(spec.name, globals, secrets);
      const mod = await spec.load();
      const code = await (mod.default as CommandRunner<Record<string, unknown>>)(opts, ctx);
      onExit(code ?? 0);
    });
  }
  return program;
}
