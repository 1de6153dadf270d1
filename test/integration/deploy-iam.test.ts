import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = process.cwd();

/**
 * IAM actions that authorize each S3 API call (AWS's "Actions, resources and condition keys for
 * Amazon S3"). HeadObject is authorized by s3:GetObject; the multipart calls of a completed upload by
 * s3:PutObject; ListObjectsV2 by s3:ListBucket on the bucket.
 */
const ACTION_OF: Record<string, string> = {
  PutObjectCommand: 's3:PutObject',
  GetObjectCommand: 's3:GetObject',
  HeadObjectCommand: 's3:GetObject',
  DeleteObjectCommand: 's3:DeleteObject',
  ListObjectsV2Command: 's3:ListBucket',
  CreateMultipartUploadCommand: 's3:PutObject',
  UploadPartCommand: 's3:PutObject',
  CompleteMultipartUploadCommand: 's3:PutObject',
  AbortMultipartUploadCommand: 's3:AbortMultipartUpload',
  PutObjectTaggingCommand: 's3:PutObjectTagging',
};

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
  return { actions: new Set(commands.map((c) => ACTION_OF[c]!)), commands };
}

interface Statement {
  Effect: string;
  Action: string[];
  Resource: string | string[];
}

describe('deploy/iam-policy.json', () => {
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
    const policy = JSON.parse(await readFile(join(ROOT, 'deploy/iam-policy.json'), 'utf8')) as {
      Statement: Statement[];
    };
    expect(policy.Statement.every((s) => s.Effect === 'Allow')).toBe(true);
    const granted = policy.Statement.flatMap((s) => s.Action);
    expect(new Set(granted).size, 'no action granted twice').toBe(granted.length);
    expect([...granted].sort()).toEqual([...actions].sort());
    expect(granted.some((a) => a.includes('*'))).toBe(false);
  });

  it('bucket-level actions on the bucket, object actions on the prefix only', async () => {
    const policy = JSON.parse(await readFile(join(ROOT, 'deploy/iam-policy.json'), 'utf8')) as {
      Statement: Statement[];
    };
    for (const s of policy.Statement) {
      const resources = ([] as string[]).concat(s.Resource);
      if (s.Action.includes('s3:ListBucket')) {
        expect(s.Action).toEqual(['s3:ListBucket']);
        expect(resources).toEqual(['arn:aws:s3:::payments-lake-example']);
      } else {
        expect(resources).toEqual(['arn:aws:s3:::payments-lake-example/payments/*']);
      }
    }
  });
});
