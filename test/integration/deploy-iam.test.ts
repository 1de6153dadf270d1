import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { layout } from '../../src/storage/layout.js';
import { webhookBronzeKey, webhookMarkerKey } from '../../src/webhooks/event-key.js';

const ROOT = process.cwd();
const BUCKET = 'arn:aws:s3:::payments-lake-example';
/** The example deployment's key prefix (S3_PREFIX=payments in deploy/*.json). */
const LAKE = `${BUCKET}/payments/`;

/**
 * IAM actions that authorize each S3 API call (AWS's "Actions, resources and condition keys for
 * Amazon S3"). HeadObject is authorized by s3:GetObject; the multipart calls of a completed upload by
 * s3:PutObject; ListObjectsV2 by s3:ListBucket on the bucket; CopyObject by s3:GetObject on the
 * source and s3:PutObject on the target.
 */
const ACTION_OF: Record<string, string[]> = {
  PutObjectCommand: ['s3:PutObject'],
  GetObjectCommand: ['s3:GetObject'],
  HeadObjectCommand: ['s3:GetObject'],
  CopyObjectCommand: ['s3:GetObject', 's3:PutObject'],
  DeleteObjectCommand: ['s3:DeleteObject'],
  // S3 checks s3:DeleteObject for each key of a DeleteObjects request
  DeleteObjectsCommand: ['s3:DeleteObject'],
  ListObjectsV2Command: ['s3:ListBucket'],
  CreateMultipartUploadCommand: ['s3:PutObject'],
  UploadPartCommand: ['s3:PutObject'],
  CompleteMultipartUploadCommand: ['s3:PutObject'],
  AbortMultipartUploadCommand: ['s3:AbortMultipartUpload'],
  PutObjectTaggingCommand: ['s3:PutObjectTagging'],
};

/** ObjectStore methods -> the S3 commands `src/storage/s3-store.ts` sends for them. */
const COMMANDS_OF_METHOD: Record<string, string[]> = {
  put: ['PutObjectCommand'],
  putIfAbsent: ['PutObjectCommand'],
  putStream: ['PutObjectCommand', 'CreateMultipartUploadCommand', 'AbortMultipartUploadCommand'],
  putFile: ['PutObjectCommand', 'CreateMultipartUploadCommand', 'AbortMultipartUploadCommand'],
  get: ['GetObjectCommand'],
  getToFile: ['GetObjectCommand'],
  head: ['HeadObjectCommand'],
  list: ['ListObjectsV2Command'],
  delete: ['DeleteObjectCommand'],
  move: ['CopyObjectCommand', 'DeleteObjectCommand'],
  moveMany: ['CopyObjectCommand', 'DeleteObjectsCommand'],
};

/**
 * Where the batch deletes, by the file that calls `delete` (reviewed by hand against each call).
 * A new call site fails the test until it is listed here and the policy allows it; the policy's
 * Delete resources must be exactly the union. Files of other branches (#17's promote) are listed
 * ahead of their merge.
 */
const DELETES_BY_FILE: Record<string, string[]> = {
  'src/state/lock.ts': ['_state/lock.json'], // release of the run lock
  'src/quality/bronze-id-cache.ts': ['_state/quality/bronze_ids/*'], // merged cache files
  'src/quality/key-index.ts': ['_state/quality/keys/*'], // key index files the record no longer names
  'src/transform/gold-build.ts': ['gold/*'], // Gold partitions a rebuild no longer produces
  'src/transform/silver-build.ts': ['silver/*'], // child partitions whose parents list no child any more
  'src/state/promote.ts': ['silver/*', 'gold/*', '_staging/*', '_state/publish/*'], // promote
  'src/storage/staged-store.ts': ['_staging/*'], // a staged object replaced within a run
  'src/storage/s3-store.ts': ['_staging/*'], // move(Many) = copy + delete of the staged sources
};

/** SPEC section 3.1: every top-level prefix the batch writes. */
const BATCH_WRITE_PREFIXES = ['bronze/', 'silver/', 'gold/', '_state/', '_staging/', '_quarantine/'];

interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: string | string[];
  Condition?: unknown;
  Principal?: unknown;
}
interface Policy {
  Version: string;
  Statement: Statement[];
}

const list = (v: string | string[]) => ([] as string[]).concat(v);
const readJson = async <T>(path: string) => JSON.parse(await readFile(join(ROOT, path), 'utf8')) as T;

/** IAM's wildcard match: `*` any run of characters, `?` one character, case-sensitive. */
function wildcard(pattern: string, value: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(value);
}

/** Policy evaluation for one identity policy: an explicit Deny wins, else an Allow, else denied. */
function allows(policy: Policy, action: string, resource: string): boolean {
  const matching = policy.Statement.filter(
    (s) =>
      list(s.Action).some((a) => wildcard(a, action)) && list(s.Resource).some((r) => wildcard(r, resource)),
  );
  if (matching.some((s) => s.Effect === 'Deny')) return false;
  return matching.some((s) => s.Effect === 'Allow');
}

/** Names imported from `module` by an ES import statement in `source`. */
function importedNames(source: string, module: string): string[] {
  const re = new RegExp(
    `import\\s*(?:type\\s*)?\\{([^}]*)\\}\\s*from\\s*'${module.replace(/[/.-]/g, '\\$&')}'`,
    'g',
  );
  return [...source.matchAll(re)].flatMap((m) =>
    m[1]!
      .split(',')
      .map((n) => n.trim().replace(/^type\s+/, ''))
      .filter((n) => n.length > 0),
  );
}

/** S3 commands `@aws-sdk/lib-storage`'s Upload may send, read from the installed package. */
async function uploadCommands(): Promise<string[]> {
  const require = createRequire(join(ROOT, 'package.json'));
  const src = await readFile(require.resolve('@aws-sdk/lib-storage'), 'utf8');
  const m = /const\s*\{([^}]*)\}\s*=\s*require\("@aws-sdk\/client-s3"\)/.exec(src);
  expect(m, 'lib-storage imports its commands from @aws-sdk/client-s3').not.toBeNull();
  return m![1]!
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n.endsWith('Command'));
}

/** The IAM actions the S3 store needs, derived from what `src/storage/s3-store.ts` imports. */
async function actionsUsedByStore(): Promise<{ actions: Set<string>; commands: string[] }> {
  const source = await readFile(join(ROOT, 'src/storage/s3-store.ts'), 'utf8');
  const commands = importedNames(source, '@aws-sdk/client-s3').filter((n) => n.endsWith('Command'));
  if (importedNames(source, '@aws-sdk/lib-storage').includes('Upload')) {
    // Upload sends PutObjectTagging only when given `tags`; the store never passes them.
    expect(source).not.toMatch(/new Upload\(\{[^}]*\btags\b/s);
    commands.push(...(await uploadCommands()).filter((c) => c !== 'PutObjectTaggingCommand'));
  }
  const unknown = commands.filter((c) => !(c in ACTION_OF));
  expect(unknown, 'S3 commands without a known IAM action: add them to ACTION_OF and the policy').toEqual([]);
  return { actions: new Set(commands.flatMap((c) => ACTION_OF[c]!)), commands };
}

/** Every non-test TypeScript file under `dir`. */
async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(join(ROOT, dir), { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !/\.(test|suite)\.ts$/.test(e.name))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

const allowedActions = (p: Policy) =>
  p.Statement.filter((s) => s.Effect === 'Allow').flatMap((s) => list(s.Action));
const resourcesOf = (p: Policy, action: string, effect: 'Allow' | 'Deny' = 'Allow') =>
  p.Statement.filter((s) => s.Effect === effect && list(s.Action).includes(action))
    .flatMap((s) => list(s.Resource))
    .sort();

/** One example key for every key shape the batch writes (layout.ts, SPEC section 3.1). */
const BATCH_KEYS = [
  layout.bronzePart('charges', '2024-06-01', 'r1', 0),
  layout.silverPartition('charges', '2024-06-01'),
  layout.goldPartition('fct_payments', '2024-06-01'),
  layout.watermark('charges'),
  layout.manifest('r1'),
  layout.latestPointer('fct_payments'),
  layout.lock(),
  '_state/publish/r1.json',
  '_state/transform/silver/charges.json',
  '_state/quality/bronze_ids/charges/r1.parquet',
  '_staging/run_id=r1/silver/source=stripe/entity=charges/dt=2024-06-01/data.parquet',
  '_quarantine/source=stripe/entity=charges/run_id=r1/part-00000.jsonl',
];

describe('deploy/iam-policy.json (the batch: ECS task, Lambda, GitHub OIDC role)', () => {
  it('importedNames reads a multi-line import', () => {
    expect(
      importedNames("import {\n  A,\n  type B,\n} from '@x/y';\nimport { C } from 'z';", '@x/y'),
    ).toEqual(['A', 'B']);
  });

  it('grants every S3 action the storage code uses, and no other', async () => {
    const { actions, commands } = await actionsUsedByStore();
    expect(commands).toEqual(
      expect.arrayContaining(['PutObjectCommand', 'ListObjectsV2Command', 'UploadPartCommand']),
    );
    const policy = await readJson<Policy>('deploy/iam-policy.json');
    const granted = allowedActions(policy);
    expect(new Set(granted).size, 'no action granted twice').toBe(granted.length);
    expect([...granted].sort()).toEqual([...actions].sort());
    expect(granted.some((a) => a.includes('*'))).toBe(false);
  });

  it('lists the bucket; reads the lake; writes exactly the prefixes of SPEC section 3.1', async () => {
    const policy = await readJson<Policy>('deploy/iam-policy.json');
    expect(resourcesOf(policy, 's3:ListBucket')).toEqual([BUCKET]);
    expect(resourcesOf(policy, 's3:GetObject')).toEqual([`${LAKE}*`]);
    const writes = BATCH_WRITE_PREFIXES.map((p) => `${LAKE}${p}*`).sort();
    expect(resourcesOf(policy, 's3:PutObject')).toEqual(writes);
    expect(resourcesOf(policy, 's3:AbortMultipartUpload')).toEqual(writes);
    for (const key of BATCH_KEYS) {
      expect(allows(policy, 's3:PutObject', `${LAKE}${key}`), key).toBe(true);
      expect(allows(policy, 's3:GetObject', `${LAKE}${key}`), key).toBe(true);
    }
    for (const outside of [
      `${LAKE}other/x`,
      `${BUCKET}/elsewhere/bronze/x`,
      'arn:aws:s3:::another-bucket/payments/bronze/x',
    ]) {
      expect(allows(policy, 's3:PutObject', outside), outside).toBe(false);
    }
  });

  it('deletes only what the code deletes; every delete call site is reviewed', async () => {
    const files = [...(await sourceFiles('src'))];
    const callers: string[] = [];
    for (const f of files) {
      const src = await readFile(join(ROOT, f), 'utf8');
      if (/\b(?:store|base|this|ctx\.store)\.delete\(/.test(src)) callers.push(f);
    }
    expect(callers.length).toBeGreaterThan(0);
    const unreviewed = callers.filter((f) => !(f in DELETES_BY_FILE));
    expect(unreviewed, 'delete calls without a reviewed entry in DELETES_BY_FILE').toEqual([]);
    const policy = await readJson<Policy>('deploy/iam-policy.json');
    const reviewed = [...new Set(Object.values(DELETES_BY_FILE).flat())].map((p) => `${LAKE}${p}`).sort();
    expect(resourcesOf(policy, 's3:DeleteObject')).toEqual(reviewed);
    expect(allows(policy, 's3:DeleteObject', `${LAKE}${layout.lock()}`)).toBe(true);
    expect(
      allows(policy, 's3:DeleteObject', `${LAKE}${layout.goldPartition('fct_payments', '2024-06-01')}`),
    ).toBe(true);
    for (const kept of [
      layout.watermark('charges'),
      layout.manifest('r1'),
      layout.latestPointer('fct_payments'),
    ])
      expect(allows(policy, 's3:DeleteObject', `${LAKE}${kept}`), kept).toBe(false);
  });

  it('Bronze is append-only: an explicit Deny on deleting it, which wins over any Allow', async () => {
    const policy = await readJson<Policy>('deploy/iam-policy.json');
    const bronze = `${LAKE}${layout.bronzePart('charges', '2024-06-01', 'r1', 0)}`;
    expect(resourcesOf(policy, 's3:DeleteObject', 'Deny')).toEqual([`${LAKE}bronze/*`]);
    expect(allows(policy, 's3:DeleteObject', bronze)).toBe(false);
    const widened: Policy = {
      ...policy,
      Statement: [...policy.Statement, { Effect: 'Allow', Action: 's3:*', Resource: `${LAKE}*` }],
    };
    expect(allows(widened, 's3:DeleteObject', bronze)).toBe(false);
    expect(allows(widened, 's3:DeleteObjectVersion', bronze)).toBe(false);
  });
});

describe('deploy/iam-policy-webhooks.json (the receiver)', () => {
  it('allows exactly the calls the receiver makes, on exactly its two prefixes, and never a delete', async () => {
    const methods = new Set<string>();
    for (const f of await sourceFiles('src/webhooks')) {
      const src = await readFile(join(ROOT, f), 'utf8');
      for (const m of src.matchAll(/\bstore\.(\w+)\(/g)) methods.add(m[1]!);
    }
    expect([...methods].sort()).toEqual(['get', 'head', 'putIfAbsent']);
    const objectActions = new Set(
      [...methods].flatMap((m) => COMMANDS_OF_METHOD[m]!).flatMap((c) => ACTION_OF[c]!),
    );
    const policy = await readJson<Policy>('deploy/iam-policy-webhooks.json');
    // get/head of a missing key must answer 404 (not 403), which S3 does only with s3:ListBucket.
    expect(allowedActions(policy).sort()).toEqual([...objectActions, 's3:ListBucket'].sort());
    expect(resourcesOf(policy, 's3:ListBucket')).toEqual([BUCKET]);
    const prefixOf = (key: string) => key.replace(/(dt=[^/]+\/)?[^/]+$/, '');
    const prefixes = [
      prefixOf(webhookBronzeKey('evt_1', Date.UTC(2024, 5, 1))),
      prefixOf(webhookMarkerKey('evt_1')),
    ];
    expect(prefixes).toEqual(['bronze/source=stripe/entity=webhook_events/', '_state/webhooks/seen/']);
    for (const action of objectActions) {
      expect(resourcesOf(policy, action)).toEqual(prefixes.map((p) => `${LAKE}${p}*`).sort());
    }
    const event = `${LAKE}${webhookBronzeKey('evt_1', Date.UTC(2024, 5, 1))}`;
    expect(allows(policy, 's3:PutObject', event)).toBe(true);
    expect(allows(policy, 's3:DeleteObject', event)).toBe(false);
    for (const key of BATCH_KEYS) expect(allows(policy, 's3:PutObject', `${LAKE}${key}`), key).toBe(false);
  });
});

describe('the other roles and how the deploy files refer to them', () => {
  it('every policy and trust document is valid JSON of the IAM grammar', async () => {
    const names = (await readdir(join(ROOT, 'deploy'))).filter((n) => /^iam-.*\.json$/.test(n));
    expect(names.length).toBeGreaterThanOrEqual(9);
    for (const n of names) {
      const doc = await readJson<Policy>(`deploy/${n}`);
      expect(doc.Version, n).toBe('2012-10-17');
      for (const s of doc.Statement) {
        expect(['Allow', 'Deny'], n).toContain(s.Effect);
        expect(
          list(s.Action).every((a) => /^[a-z0-9-]+:[A-Za-z*]+$/.test(a)),
          n,
        ).toBe(true);
        if (n.startsWith('iam-trust-')) expect(s.Principal, n).toBeDefined();
        else
          expect(
            list(s.Resource).every((r) => r.startsWith('arn:aws:')),
            n,
          ).toBe(true);
      }
    }
  });

  it('Lambda: its own role (trusts lambda.amazonaws.com), logs to its log group, reads its secret', async () => {
    const fn = await readJson<{
      Role: string;
      LoggingConfig: { LogGroup: string };
      Environment: { Variables: Record<string, string> };
    }>('deploy/lambda-function.json');
    expect(fn.Role).toBe('arn:aws:iam::123456789012:role/payments-pipeline-lambda');
    const trust = await readJson<Policy>('deploy/iam-trust-lambda.json');
    expect(trust.Statement[0]).toMatchObject({
      Principal: { Service: 'lambda.amazonaws.com' },
      Action: 'sts:AssumeRole',
    });
    const policy = await readJson<Policy>('deploy/iam-policy-lambda.json');
    const group = `arn:aws:logs:us-east-1:123456789012:log-group:${fn.LoggingConfig.LogGroup}`;
    expect(allows(policy, 'logs:PutLogEvents', `${group}:log-stream:2024/06/01/[$LATEST]abc`)).toBe(true);
    expect(allows(policy, 'logs:CreateLogStream', `${group}:log-stream:x`)).toBe(true);
    const secret = fn.Environment.Variables.API_KEY_SECRET_ID!;
    expect(fn.Environment.Variables.API_KEY).toBeUndefined();
    // Secrets Manager ARNs end in a dash and six random characters.
    expect(
      allows(
        policy,
        'secretsmanager:GetSecretValue',
        `arn:aws:secretsmanager:us-east-1:123456789012:secret:${secret}-AbCdEf`,
      ),
    ).toBe(true);
    expect(
      allows(
        policy,
        'secretsmanager:GetSecretValue',
        `arn:aws:secretsmanager:us-east-1:123456789012:secret:${secret}-other-AbCdEf`,
      ),
    ).toBe(false);
  });

  it('scheduler: trusts scheduler.amazonaws.com; runs the batch task, passes its roles, invokes the function', async () => {
    const trust = await readJson<Policy>('deploy/iam-trust-scheduler.json');
    expect(trust.Statement[0]).toMatchObject({ Principal: { Service: 'scheduler.amazonaws.com' } });
    const policy = await readJson<Policy>('deploy/iam-policy-scheduler.json');
    const ecs = await readJson<{
      Target: { Arn: string; RoleArn: string; EcsParameters: { TaskDefinitionArn: string } };
    }>('deploy/eventbridge-schedule.json');
    const lambda = await readJson<{ Target: { Arn: string; RoleArn: string } }>(
      'deploy/eventbridge-schedule-lambda.json',
    );
    expect(allows(policy, 'ecs:RunTask', `${ecs.Target.EcsParameters.TaskDefinitionArn}:7`)).toBe(true);
    expect(allows(policy, 'lambda:InvokeFunction', lambda.Target.Arn)).toBe(true);
    const td = await readJson<{ taskRoleArn: string; executionRoleArn: string }>(
      'deploy/ecs-task-definition.json',
    );
    for (const role of [td.taskRoleArn, td.executionRoleArn])
      expect(allows(policy, 'iam:PassRole', role), role).toBe(true);
    expect(allows(policy, 'iam:PassRole', 'arn:aws:iam::123456789012:role/payments-pipeline-webhooks')).toBe(
      false,
    );
    expect(ecs.Target.RoleArn).toBe(lambda.Target.RoleArn);
  });

  it('webhook service: its own task role, the image health check, an ALB target group on /health behind HTTPS', async () => {
    const td = await readJson<{
      taskRoleArn: string;
      containerDefinitions: {
        command: string[];
        healthCheck: { command: string[] };
        portMappings: { containerPort: number }[];
        secrets: { name: string }[];
      }[];
    }>('deploy/ecs-task-definition-webhooks.json');
    const batch = await readJson<{ taskRoleArn: string }>('deploy/ecs-task-definition.json');
    expect(td.taskRoleArn).toBe('arn:aws:iam::123456789012:role/payments-pipeline-webhooks');
    expect(td.taskRoleArn).not.toBe(batch.taskRoleArn);
    const [c] = td.containerDefinitions;
    expect(c!.command).toEqual(['webhooks', '--host', '0.0.0.0', '--port', '8001']);
    expect(c!.secrets.map((s) => s.name)).toEqual(['WEBHOOK_SECRET']);
    const dockerfile = await readFile(join(ROOT, 'Dockerfile'), 'utf8');
    const probe = /CMD (\[.*\])\s*$/m.exec(dockerfile.slice(dockerfile.indexOf('HEALTHCHECK')))?.[1];
    expect(c!.healthCheck.command).toEqual(['CMD', ...(JSON.parse(probe!) as string[])]);
    const tg = await readJson<{ HealthCheckPath: string; Port: number; Protocol: string }>(
      'deploy/alb-target-group-webhooks.json',
    );
    expect(tg).toMatchObject({
      HealthCheckPath: '/health',
      Port: c!.portMappings[0]!.containerPort,
      Protocol: 'HTTP',
    });
    const listener = await readJson<{ Protocol: string; Port: number; SslPolicy: string }>(
      'deploy/alb-listener-https.json',
    );
    expect(listener).toMatchObject({ Protocol: 'HTTPS', Port: 443 });
    expect(listener.SslPolicy).toMatch(/^ELBSecurityPolicy-TLS13-/);
    const service = await readJson<{ loadBalancers: { containerPort: number; containerName: string }[] }>(
      'deploy/ecs-service-webhooks.json',
    );
    expect(service.loadBalancers[0]).toMatchObject({ containerName: 'webhooks', containerPort: 8001 });
  });
});
