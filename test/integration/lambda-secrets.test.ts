import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../src/cli/lambda.js';
import { SecretLookupError } from '../../src/config/secrets.js';
import { startMockApi } from '../../src/mock/index.js';
import { runCli } from '../helpers/cli.js';

const NOW = Date.UTC(2024, 6, 1, 12, 0, 0) / 1000;

interface Call {
  target: string;
  body: Record<string, unknown>;
  /** The SigV4 credential scope's service (`…/us-east-1/secretsmanager/aws4_request`). */
  service: string | undefined;
  region: string | undefined;
}

/**
 * A stand-in for Secrets Manager and SSM (no AWS is reachable here), speaking their AWS JSON 1.1
 * protocol as the SDK sends it: `POST /`, `X-Amz-Target: secretsmanager.GetSecretValue` or
 * `AmazonSSM.GetParameter`, a JSON body; errors as `{"__type", "message"}` with status 400.
 */
function standIn(secrets: Record<string, string>, parameters: Record<string, string>) {
  const calls: Call[] = [];
  const read = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  const server: Server = createServer(async (req, res) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const body = JSON.parse((await read(req)) || '{}') as Record<string, unknown>;
    const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(
      String(req.headers.authorization ?? ''),
    );
    calls.push({ target, body, service: scope?.[2], region: scope?.[1] });
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(payload));
    };
    if (req.method !== 'POST' || req.headers['content-type'] !== 'application/x-amz-json-1.1') {
      return send(400, { __type: 'SerializationException', message: 'expected AWS JSON 1.1' });
    }
    if (target === 'secretsmanager.GetSecretValue') {
      const id = String(body.SecretId);
      const value = secrets[id];
      if (value === undefined) {
        return send(400, {
          __type: 'ResourceNotFoundException',
          message: "Secrets Manager can't find the specified secret.",
        });
      }
      return send(200, {
        ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${id}-AbCdEf`,
        Name: id,
        SecretString: value,
        VersionId: 'v1',
        VersionStages: ['AWSCURRENT'],
        CreatedDate: 1.7e9,
      });
    }
    if (target === 'AmazonSSM.GetParameter') {
      const name = String(body.Name);
      const value = parameters[name];
      if (value === undefined) return send(400, { __type: 'ParameterNotFound', message: '' });
      if (body.WithDecryption !== true)
        return send(200, { Parameter: { Name: name, Type: 'SecureString', Value: 'AQICAHh-ciphertext' } });
      return send(200, { Parameter: { Name: name, Type: 'SecureString', Value: value, Version: 1 } });
    }
    return send(400, { __type: 'UnknownOperationException', message: target });
  });
  return { server, calls };
}

const VARS = [
  'PIPELINE_ENV',
  'LOCAL_DATA_DIR',
  'API_BASE_URL',
  'API_KEY',
  'API_KEY_SECRET_ID',
  'API_KEY_PARAMETER',
  'API_RATE_LIMIT_RPS',
  'LOG_LEVEL',
  'RUN_ID',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_REGION',
  'AWS_ENDPOINT_URL_SECRETS_MANAGER',
  'AWS_ENDPOINT_URL_SSM',
];

describe('Lambda reads API_KEY from Secrets Manager or SSM (stand-in server)', () => {
  const saved = new Map<string, string | undefined>();
  let aws: ReturnType<typeof standIn>;
  let awsUrl: string;
  let mock: Awaited<ReturnType<typeof startMockApi>>;
  let dir: string;
  const contextWith = (ms: number) => ({ getRemainingTimeInMillis: () => ms });

  beforeAll(async () => {
    for (const k of VARS) saved.set(k, process.env[k]);
    aws = standIn(
      {
        'payments-pipeline/stripe-api-key': 'sk_test_from_secrets_manager',
        'payments/json': '{"API_KEY":"sk_test_json"}',
      },
      { '/payments-pipeline/stripe-api-key': 'rk_live_not_accepted_by_the_mock' },
    );
    await new Promise<void>((r) => aws.server.listen(0, '127.0.0.1', r));
    const addr = aws.server.address();
    awsUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    mock = await startMockApi({ preset: 'tiny', now: NOW, port: 0, quiet: true });
    dir = await mkdtemp(join(tmpdir(), 'pp-lambda-secrets-'));
  });
  afterAll(async () => {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await new Promise((r) => aws.server.close(r));
    await mock.close();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    aws.calls.length = 0;
    for (const k of VARS) delete process.env[k];
    Object.assign(process.env, {
      PIPELINE_ENV: 'LOCAL',
      LOCAL_DATA_DIR: dir,
      API_BASE_URL: mock.url,
      API_RATE_LIMIT_RPS: '1000',
      LOG_LEVEL: 'silent',
      AWS_ACCESS_KEY_ID: 'AKIDSTANDIN',
      AWS_SECRET_ACCESS_KEY: 'stand-in-secret',
      AWS_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL_SECRETS_MANAGER: awsUrl,
      AWS_ENDPOINT_URL_SSM: awsUrl,
    });
  });

  it('API_KEY_SECRET_ID: one signed GetSecretValue, then the run uses that key against the API', async () => {
    process.env.API_KEY_SECRET_ID = 'payments-pipeline/stripe-api-key';
    const summary = await handler({ runId: 'from-secret', until: NOW }, contextWith(900_000));
    expect(summary.status).toBe('succeeded');
    expect(aws.calls).toEqual([
      {
        target: 'secretsmanager.GetSecretValue',
        body: { SecretId: 'payments-pipeline/stripe-api-key' },
        service: 'secretsmanager',
        region: 'eu-west-1',
      },
    ]);
  });

  it('API_KEY_PARAMETER: GetParameter with decryption; a key the API refuses fails the run (the key is really used)', async () => {
    process.env.API_KEY_PARAMETER = '/payments-pipeline/stripe-api-key';
    const err = await handler({ runId: 'from-ssm', until: NOW }, contextWith(900_000)).catch(
      (e: unknown) => e,
    );
    expect(aws.calls).toEqual([
      {
        target: 'AmazonSSM.GetParameter',
        body: { Name: '/payments-pipeline/stripe-api-key', WithDecryption: true },
        service: 'ssm',
        region: 'eu-west-1',
      },
    ]);
    expect(String((err as Error).message)).toMatch(/401|Invalid API Key/);
    expect(String((err as Error).message)).not.toContain('rk_live_not_accepted');
  });

  it('a missing secret fails before the run starts, naming the variable and the id, writing nothing', async () => {
    process.env.API_KEY_SECRET_ID = 'payments-pipeline/nope';
    const err = await handler({ runId: 'no-secret', until: NOW }, contextWith(900_000)).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SecretLookupError);
    expect((err as Error).message).toMatch(
      /^API_KEY_SECRET_ID: cannot read API_KEY from Secrets Manager secret "payments-pipeline\/nope": ResourceNotFoundException/,
    );
    expect(existsSync(join(dir, '_state/manifests/run_no-secret.json'))).toBe(false);
  });

  it('the CLI resolves references too: a missing parameter or an ambiguous setting exits 2; a readable secret lets the command run', async () => {
    const env = {
      LOCAL_DATA_DIR: dir,
      AWS_ACCESS_KEY_ID: 'AKIDSTANDIN',
      AWS_SECRET_ACCESS_KEY: 'stand-in-secret',
      AWS_ENDPOINT_URL_SSM: awsUrl,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: awsUrl,
    };
    const missing = await runCli(['status', '--json'], { env: { ...env, API_KEY_PARAMETER: '/missing' } });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(
      'API_KEY_PARAMETER: cannot read API_KEY from SSM parameter "/missing": ParameterNotFound',
    );
    const both = await runCli(['status', '--json'], {
      env: { ...env, API_KEY: 'sk_test_x', API_KEY_SECRET_ID: 'payments/json' },
    });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('API_KEY and API_KEY_SECRET_ID: set one of them, not both');
    const json = await runCli(['status', '--json'], { env: { ...env, API_KEY_SECRET_ID: 'payments/json' } });
    expect(json.code, json.stderr).toBe(0);
    expect(json.stderr).not.toContain('sk_test_json');
  });
});
