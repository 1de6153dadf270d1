// Compiles src/ to dist/ and copies the SQL models beside the compiled transform code.
// Type errors are printed but do not stop the emit: `npm run typecheck` is the gate for them
// (CI runs it), while tests and `npm start` still get a runnable dist/.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

rmSync('dist', { recursive: true, force: true });
const tsc = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));
const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
if (!existsSync('dist/cli/main.js')) {
  console.error('build failed: dist/cli/main.js was not emitted');
  process.exit(r.status || 1);
}
if (r.status !== 0)
  console.error('build: emitted with type errors (see above; `npm run typecheck` fails on them)');
cpSync('src/transform/sql', 'dist/transform/sql', { recursive: true });
// The report's SQL and its browser script are read at run time beside the compiled module.
cpSync('src/report/sql', 'dist/report/sql', { recursive: true });
cpSync('src/report/assets', 'dist/report/assets', { recursive: true });
