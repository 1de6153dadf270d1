import { Command, Option } from 'commander';
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
  /** Options that are also settings: flag attribute -> variable name. */
  settingFlags?: Record<string, string>;
  load: () => Promise<{ default: CommandRunner<never> }>;
}

const untilOption = () =>
  new Option(
    '--until <time>',
    'exclusive end of every window: unix seconds or ISO time (default: run start)',
  );

/** The command table. Each command module is imported only when it runs. */
const COMMANDS: CommandSpec[] = [];

/** Registers a command (called by this file's table; kept as a function so the table stays data). */
function command(spec: CommandSpec): void {
  COMMANDS.push(spec);
}

void untilOption;
void command;

export interface ProgramResult {
  exitCode: number;
}

/** Builds the commander program; `onRun` receives the exit code of the command that ran. */
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
    cmd.action(async (opts: Record<string, unknown>) => {
      const globals = program.opts<GlobalOptions>();
      const overrides: Record<string, string | undefined> = {};
      for (const [attr, variable] of Object.entries(spec.settingFlags ?? {})) {
        const v = opts[attr];
        if (v !== undefined) overrides[variable] = String(v);
      }
      const ctx = createContext(spec.name, globals, overrides);
      const mod = await spec.load();
      const code = await (mod.default as CommandRunner<Record<string, unknown>>)(opts, ctx);
      onExit(code ?? 0);
    });
  }
  return program;
}
