// Compiles src/ to dist/ (or to `--out DIR`: the test suite's own copy, see test/global-setup.ts),
// copies the SQL models beside the compiled transform code, and bundles the CLI's entry point.
// Type errors are printed but do not stop the emit: `npm run typecheck` is the gate for them
// (CI runs it), while tests and `npm start` still get a runnable build.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'dist' },
    // the compiled modules as they are (to profile them, or patch a package they load: a bundle
    // carries its own copy of every package in it)
    'no-bundle': { type: 'boolean', default: false },
  },
});
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

// The CLI bundled: `dist/cli/main.js` (what bin/ imports) becomes a bundle of the compiled
// modules and the packages they use, split per command. A command that loaded some 750 module
// files (about 550 of them packages': DuckDB's client 182, undici 112, zod 99) spent 0.3-0.4 s
// of every run doing so. Left out, loaded as before: DuckDB's native binding, the AWS SDK
// (loaded on first S3 use only), and the servers' Fastify (mock-api and webhooks only). The
// other compiled modules stay in dist/ for the other entry points (the Lambda handler, the
// health probe). No esbuild (an install without dev dependencies) or `--no-bundle`: the
// compiled entry point stays as it is.
let esbuild;
if (!values['no-bundle']) {
  try {
    esbuild = await import('esbuild');
  } catch {
    console.error('build: esbuild not installed: the CLI is not bundled');
  }
}
if (esbuild) {
  const entry = resolve(out, 'cli/main.js');
  const root = resolve(out) + sep;
  // A bundled module's import.meta.url is the bundle's: each compiled module gets back its own
  // URL (the SQL models, report assets and package.json it reads beside itself are found there).
  const ownUrl = {
    name: 'own-import-meta-url',
    setup(build) {
      build.onLoad({ filter: /\.js$/ }, (args) => {
        if (!args.path.startsWith(root)) return undefined;
        const src = readFileSync(args.path, 'utf8');
        if (!src.includes('import.meta.url')) return { contents: src, loader: 'js' };
        const rel = relative(dirname(entry), args.path).split(sep).join('/');
        const url = `new URL(${JSON.stringify(rel.startsWith('.') ? rel : `./${rel}`)}, import.meta.url).href`;
        return { contents: src.replaceAll('import.meta.url', url), loader: 'js' };
      });
    },
  };
  await esbuild.build({
    entryPoints: [entry],
    // Split where the CLI loads a command on demand: a command's own modules (and the packages
    // they import, such as Fastify) load only when it runs. Chunks sit beside main.js (their
    // import.meta.url resolves as main.js's does).
    outdir: dirname(entry),
    splitting: true,
    chunkNames: 'main-[name]-[hash]',
    allowOverwrite: true,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['@duckdb/node-bindings', '@duckdb/node-bindings-*', '@aws-sdk/*', 'fastify', '@fastify/*'],
    // CommonJS packages inside an ES module bundle call require() for Node's own modules
    banner: {
      js: "import { createRequire as __ppRequire } from 'node:module';\nconst require = __ppRequire(import.meta.url);",
    },
    plugins: [ownUrl],
    logLevel: 'warning',
  });
  // tsc's map of the entry point no longer describes it
  rmSync(`${entry}.map`, { force: true });
}
