import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { layout } from '../../src/storage/layout.js';

const ROOT = process.cwd();
const read = (path: string) => readFile(join(ROOT, path), 'utf8');
const readJson = async (path: string) => JSON.parse(await read(path)) as Record<string, unknown>;

interface ValidationState {
  errors: { code: string; path?: string; detail?: string; title: string }[];
}
interface Diagnostic {
  rule: string;
  line: number;
  title: string;
}

/**
 * A dev dependency, imported by a name TypeScript does not resolve (so the type check does not
 * depend on it), with a clear message when it is missing.
 */
async function devTool<T>(name: string, version: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (err) {
    throw new Error(`${name} is not installed: add "${name}": "${version}" to devDependencies`, {
      cause: err,
    });
  }
}

const actionValidator = () =>
  devTool<{ validateWorkflow(src: string): ValidationState }>('@action-validator/core', '^0.6.0');
const dockerfilelint = async () => {
  const m = await devTool<{ run?: DockerfileLint; default?: { run: DockerfileLint } }>(
    'dockerfilelint',
    '^1.8.0',
  );
  return (m.run ?? m.default?.run) as DockerfileLint;
};
type DockerfileLint = (configDir: string, content: string) => Diagnostic[];

describe('GitHub Actions workflows', () => {
  it.each(['.github/workflows/ci.yml', '.github/workflows/batch.yml'])(
    '%s passes the workflow schema (action-validator)',
    async (path) => {
      const { validateWorkflow } = await actionValidator();
      expect(validateWorkflow(await read(path)).errors).toEqual([]);
    },
  );

  it.each(['.github/workflows/ci.yml', '.github/workflows/batch.yml'])(
    '%s: every action pinned to a commit SHA, its release tag in a comment',
    async (path) => {
      const uses = (await read(path)).split('\n').filter((l) => /^\s*(- )?uses:/.test(l));
      expect(uses.length).toBeGreaterThan(0);
      for (const line of uses)
        expect(line, line).toMatch(/uses: [\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
    },
  );

  it('batch.yml: the OIDC session outlives the job (role-duration-seconds >= timeout-minutes)', async () => {
    const wf = await read('.github/workflows/batch.yml');
    const timeout = Number(/timeout-minutes: (\d+)/.exec(wf)?.[1]);
    const duration = Number(/role-duration-seconds: (\d+)/.exec(wf)?.[1]);
    expect(timeout).toBeGreaterThan(0);
    expect(duration).toBeGreaterThanOrEqual(timeout * 60);
    // The role must allow sessions that long (IAM's default maximum is 3600 s): docs/deploy.md
    // creates it with --max-session-duration.
    const docs = await read('docs/deploy.md');
    const create =
      /aws iam create-role --role-name payments-pipeline-github[^\n]*(?:\\\n[^\n]*)*/.exec(docs)?.[0] ?? '';
    expect(create).toContain('file://deploy/iam-trust-github-oidc.json');
    expect(Number(/--max-session-duration (\d+)/.exec(create)?.[1])).toBeGreaterThanOrEqual(duration);
  });

  it('the validator rejects a broken workflow (the check can fail)', async () => {
    const { validateWorkflow } = await actionValidator();
    const errors = validateWorkflow(await read('test/fixtures/deploy/broken-workflow.yml')).errors;
    expect(errors.map((e) => e.path)).toEqual(expect.arrayContaining(['/on', '/jobs/batch']));
  });

  it('ci.yml runs .ci/run as root on Node 24', async () => {
    const ci = await read('.github/workflows/ci.yml');
    expect(ci).toMatch(
      /uses: actions\/setup-node@[0-9a-f]{40} # v\d+\.\d+\.\d+\n\s+with:\n\s+node-version: 24\n/,
    );
    expect(ci).toMatch(/run: sudo env "PATH=\$PATH" CI=true bash \.ci\/run/);
  });

  it('batch.yml: daily schedule, dispatch inputs, no overlap, both commands, summary, artifact, OIDC', async () => {
    const wf = await read('.github/workflows/batch.yml');
    expect(wf).toMatch(/schedule:\n\s+#.*\n\s+- cron: ["']17 2 \* \* \*["']/);
    for (const input of ['days', 'backfill_from', 'backfill_to'])
      expect(wf).toMatch(new RegExp(`\\n {6}${input}:\\n`));
    expect(wf).toMatch(/concurrency:\n\s+group: payments-pipeline-batch\n\s+cancel-in-progress: false/);
    expect(wf).toContain('args="backfill --from $IN_FROM --to $IN_TO"');
    expect(wf).toContain('args="run-all"');
    expect(wf).toContain('node bin/payments-pipeline.js $ARGS --run-id "$RUN_ID"');
    expect(wf).toContain(`node scripts/job-summary.mjs --run-id "\${{ steps.plan.outputs.run_id }}"`);
    expect(wf).toMatch(
      /uses: actions\/upload-artifact@\S+ # v5\.0\.0\n\s+with:\n\s+name: payments-pipeline-data-/,
    );
    expect(wf).toMatch(/if: env\.PIPELINE_ENV == 'AWS'\n\s+uses: aws-actions\/configure-aws-credentials@/);
    expect(wf).toMatch(/node-version: 24\n/);
    expect(wf).toContain('id-token: write');
    for (const name of ['API_BASE_URL', 'API_KEY']) expect(wf).toContain(`${name}: \${{ secrets.${name} }}`);
    for (const name of ['S3_BUCKET', 'S3_PREFIX', 'AWS_ROLE_ARN']) expect(wf).toContain(`vars.${name}`);
    // Inputs reach the shell through the environment only: no expression inside a script line.
    const runScripts = wf.split('\n').filter((l) => /\$\{\{\s*inputs\./.test(l));
    expect(runScripts.every((l) => /^\s+IN_[A-Z]+: \$\{\{ inputs\.\w+ \}\}$/.test(l))).toBe(true);
  });
});

describe('Dockerfile', () => {
  it('passes dockerfilelint', async () => {
    const lint = await dockerfilelint();
    expect(lint(join(ROOT, 'test/fixtures/deploy'), await read('Dockerfile'))).toEqual([]);
  });

  it('the linter rejects a bad Dockerfile (the check can fail)', async () => {
    const lint = await dockerfilelint();
    const rules = lint(
      join(ROOT, 'test/fixtures/deploy'),
      await read('test/fixtures/deploy/bad.Dockerfile'),
    ).map((d) => d.rule);
    expect(rules).toEqual(expect.arrayContaining(['missing_tag', 'apt-get_missing_rm']));
  });

  it('multi-stage, production dependencies only, non-root, the CLI as entry point, run-all by default', async () => {
    const df = await read('Dockerfile');
    const stages = df.split(/^FROM /m).slice(1);
    expect(stages).toHaveLength(2);
    const [build, runtime] = stages as [string, string];
    expect(build).toMatch(/^node:24\S+ AS build/);
    expect(runtime.split(' ')[0]).toBe(build.split(' ')[0]);
    expect(build).toContain('RUN npm ci --ignore-scripts');
    expect(build).toContain('RUN npm run build');
    expect(runtime).toContain('npm ci --omit=dev --ignore-scripts');
    expect(runtime).toContain('COPY --from=build /app/dist dist');
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toContain('ENTRYPOINT ["node", "/app/bin/payments-pipeline.js"]');
    expect(runtime).toContain('CMD ["run-all"]');
    expect(runtime).toContain('LOCAL_DATA_DIR=/data');
  });

  it('Node 24 base image pinned by digest; a HEALTHCHECK that runs the compiled probe', async () => {
    const df = await read('Dockerfile');
    const images = [...df.matchAll(/^FROM (\S+) AS/gm)].map((m) => m[1]);
    expect(images).toHaveLength(2);
    for (const image of images)
      expect(image).toMatch(/^node:24\.\d+\.\d+-bookworm-slim@sha256:[0-9a-f]{64}$/);
    expect(df).toMatch(/^HEALTHCHECK (--\S+ )+\\\n\s+CMD \["node", "\/app\/dist\/cli\/healthcheck\.js"\]$/m);
    // The probe is compiled from src/ like the rest of dist/.
    await expect(read('src/cli/healthcheck.ts')).resolves.toContain('export async function checkHealth');
  });

  it('.dockerignore lets in exactly what the Dockerfile copies, and never .env or node_modules', async () => {
    const df = await read('Dockerfile');
    const ignore = (await read('.dockerignore')).split('\n').map((l) => l.trim());
    expect(ignore).toContain('*');
    const allowed = ignore.filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/$/, ''));
    const sources = [...df.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(/\s+/));
    expect(sources.length).toBeGreaterThan(0);
    for (const src of sources) expect(allowed, `COPY ${src}`).toContain(src.replace(/\/$/, ''));
    expect(allowed.some((a) => /env|node_modules|_local_data|dist/.test(a))).toBe(false);
    expect(ignore).toContain('**/.env');
  });
});

describe('deploy/ examples', () => {
  it('docs/deploy.md uses every file of deploy/, and every file it names exists', async () => {
    const docs = await read('docs/deploy.md');
    // `file://deploy/X.json`, or the trust file given to the walkthrough's `role` helper.
    const named = new Set(
      [...docs.matchAll(/(?:file:\/\/deploy\/|^role \S+ +)([\w.-]+\.json)/gm)].map((m) => m[1]!),
    );
    const files = (await readdir(join(ROOT, 'deploy'))).filter((f) => f.endsWith('.json'));
    expect([...named].sort()).toEqual(files.sort());
  });

  it('ECS task: Fargate, the image running run-all on S3, API key from Secrets Manager, init process', async () => {
    const td = await readJson('deploy/ecs-task-definition.json');
    expect(td.requiresCompatibilities).toEqual(['FARGATE']);
    const [c] = td.containerDefinitions as Record<string, unknown>[];
    expect(c!.command).toEqual(['run-all']);
    const env = Object.fromEntries(
      (c!.environment as { name: string; value: string }[]).map((e) => [e.name, e.value]),
    );
    expect(env).toMatchObject({
      PIPELINE_ENV: 'AWS',
      S3_BUCKET: 'payments-lake-example',
      S3_PREFIX: 'payments',
    });
    expect(env.API_KEY).toBeUndefined();
    expect((c!.secrets as { name: string }[]).map((s) => s.name)).toEqual(['API_KEY']);
    expect(c!.linuxParameters).toEqual({ initProcessEnabled: true });
  });

  it('schedules: daily cron at 02:17 UTC, no automatic retry (the next day heals)', async () => {
    for (const path of ['deploy/eventbridge-schedule.json', 'deploy/eventbridge-schedule-lambda.json']) {
      const s = await readJson(path);
      expect(s.ScheduleExpression, path).toBe('cron(17 2 * * ? *)');
      expect((s.Target as { RetryPolicy: unknown }).RetryPolicy).toMatchObject({ MaximumRetryAttempts: 0 });
    }
  });

  it('Lambda function: the handler export, 15-minute timeout, 10 GB /tmp', async () => {
    const f = await readJson('deploy/lambda-function.json');
    expect(f).toMatchObject({ Handler: 'dist/cli/lambda.handler', Runtime: 'nodejs24.x', Timeout: 900 });
    expect(f.EphemeralStorage).toEqual({ Size: 10240 });
    const mod = await import('../../src/cli/lambda.js');
    expect(typeof mod.handler).toBe('function');
  });

  it('S3 lifecycle: Bronze to IA at 30 d and Glacier IR at 180 d, uploads aborted after 1 d, nothing current expires', async () => {
    const { Rules } = (await readJson('deploy/s3-lifecycle.json')) as {
      Rules: {
        ID: string;
        Status: string;
        Filter: { Prefix?: string; And?: { Prefix: string; ObjectSizeGreaterThan?: number } };
        Transitions?: { Days: number; StorageClass: string }[];
        AbortIncompleteMultipartUpload?: { DaysAfterInitiation: number };
        Expiration?: { Days?: number; ExpiredObjectDeleteMarker?: boolean };
      }[];
    };
    expect(Rules.every((r) => r.Status === 'Enabled')).toBe(true);
    expect(layout.bronzeEntityPrefix('charges').startsWith('bronze/')).toBe(true);
    const bronze = Rules.find((r) => r.Filter.And?.Prefix === 'payments/bronze/');
    expect(bronze?.Transitions).toEqual([
      { Days: 30, StorageClass: 'STANDARD_IA' },
      { Days: 180, StorageClass: 'GLACIER_IR' },
    ]);
    // Objects under 128 KiB are billed as 128 KiB in IA: small webhook objects stay in Standard.
    expect(bronze?.Filter.And?.ObjectSizeGreaterThan).toBe(131072);
    const abort = Rules.find((r) => r.AbortIncompleteMultipartUpload);
    expect(abort?.AbortIncompleteMultipartUpload?.DaysAfterInitiation).toBe(1);
    expect(abort?.Filter.Prefix).toBe('payments/');
    // Manifests, watermarks, Bronze (the only copy of history) and current Silver/Gold are kept.
    expect(Rules.some((r) => r.Expiration?.Days !== undefined)).toBe(false);
  });
});
