import { readFileSync } from 'node:fs';
import { CommanderError } from 'commander';
import { ConfigError } from '../config/settings.js';
import { exitCodeFor } from './exit-codes.js';
import { buildProgram } from './program.js';

/** The only place that exits: runs the CLI and maps errors to the exit codes of SPEC section 13. */
async function main(argv: string[]): Promise<number> {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  let exitCode = 0;
  const program = buildProgram(pkg.version, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version "fail" with code 0; usage errors were already printed by commander.
      return err.exitCode === 0 ? 0 : 2;
    }
    const code = exitCodeFor(err);
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof ConfigError) process.stderr.write(`payments-pipeline: ${message}\n`);
    else process.stderr.write(`payments-pipeline: error: ${message}\n`);
    return code;
  }
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`payments-pipeline: fatal: ${String(err)}\n`);
    process.exitCode = 1;
  },
);
