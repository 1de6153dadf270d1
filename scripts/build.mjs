// Compiles src/ to dist/ (or to `--out DIR`: the test suite's own copy, see test/global-setup.ts)
// and copies the SQL models beside the compiled transform code.
// Type errors are printed but do not stop the emit: `npm run typecheck` is the gate for them
// (CI runs it), while tests and `npm start` still get a runnable build.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { out: { type: 'string', default: 'dist' } } });
const out = values.out;
rmSync(out, { recursive: true, force: true });
const tsc = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));
const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', out], {
  stdio: 'inherit',
});
if (!existsSync(join(out, 'cli/main.js'))) {
  console.error(`build failed: ${join(out, 'cli/main.js')} was not emitted`);
  process.exit(r.status || 1);
}
if (r.status !== 0)
  console.error('build: emitted with type errors (see above; `npm run typecheck` fails on them)');
cpSync('src/transform/sql', join(out, 'transform/sql'), { recursive: true });
// The report's SQL and its browser script are read at run time beside the compiled module.
cpSync('src/report/sql', join(out, 'report/sql'), { recursive: true });
cpSync('src/report/assets', join(out, 'report/assets'), { recursive: true });
