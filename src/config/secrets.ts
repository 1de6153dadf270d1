/**
 * Secrets held in AWS instead of the environment: `API_KEY` and `WEBHOOK_SECRET` read at start-up
 * from Secrets Manager (`<SETTING>_SECRET_ID`) or SSM Parameter Store (`<SETTING>_PARAMETER`, a
 * SecureString decrypted on read). Lambda has no `secrets` injection like ECS, and a key in the
 * function's plain environment is readable by anyone who can read its configuration.
 * The SDK clients are imported only when a reference is set; their endpoints follow the SDK's
 * own settings (`AWS_ENDPOINT_URL_SECRETS_MANAGER`, `AWS_ENDPOINT_URL_SSM`, VPC endpoints).
 */
import { AWS_SECRET_REF, ConfigError } from './settings.js';

/** The settings that may come from AWS, and the variables that point at them. */
export const SECRET_REFERENCES = {
  API_KEY: { secretId: 'API_KEY_SECRET_ID', parameter: 'API_KEY_PARAMETER' },
  WEBHOOK_SECRET: { secretId: 'WEBHOOK_SECRET_SECRET_ID', parameter: 'WEBHOOK_SECRET_PARAMETER' },
} as const;

export type SecretSetting = keyof typeof SECRET_REFERENCES;

/** Where one setting's value is read from. */
export interface SecretReference {
  readonly setting: SecretSetting;
  /** The variable that named it (for error messages). */
  readonly variable: string;
  readonly service: 'secretsmanager' | 'ssm';
  /** Secret name or ARN; parameter name or ARN. */
  readonly id: string;
}

/** A referenced secret could not be read: names the variable, the id and AWS's error, never a value. */
export class SecretLookupError extends ConfigError {
  constructor(ref: SecretReference, detail: string, options?: { cause: unknown }) {
    const where = ref.service === 'secretsmanager' ? 'Secrets Manager secret' : 'SSM parameter';
    super(`${ref.variable}: cannot read ${ref.setting} from ${where} "${ref.id}": ${detail}`, options);
  }
}

const set = (env: Readonly<Record<string, string | undefined>>, k: string) => {
  const v = env[k]?.trim();
  return v ? v : undefined;
};

/**
 * The references set in `env`. A setting given both directly and by reference, or by both kinds
 * of reference, is ambiguous: ConfigError (exit 2).
 */
export function secretReferences(env: Readonly<Record<string, string | undefined>>): SecretReference[] {
  const refs: SecretReference[] = [];
  for (const [setting, vars] of Object.entries(SECRET_REFERENCES) as [
    SecretSetting,
    { secretId: string; parameter: string },
  ][]) {
    const secretId = set(env, vars.secretId);
    const parameter = set(env, vars.parameter);
    if (secretId && parameter) {
      throw new ConfigError(
        `${vars.secretId} and ${vars.parameter}: set one of them, not both (${setting} has one source)`,
      );
    }
    const variable = secretId ? vars.secretId : vars.parameter;
    const id = secretId ?? parameter;
    if (!id) continue;
    if (!AWS_SECRET_REF.test(id)) {
      throw new ConfigError(
        `${variable}: invalid value (got "${id}"); accepts a secret or parameter name or ARN`,
      );
    }
    if (set(env, setting)) {
      throw new ConfigError(
        `${setting} and ${variable}: set one of them, not both (the value or where to read it)`,
      );
    }
    refs.push({ setting, variable, service: secretId ? 'secretsmanager' : 'ssm', id });
  }
  return refs;
}

/** The region of an ARN (`arn:aws:secretsmanager:eu-west-1:…`), else the configured one. */
export function regionOf(id: string, fallback: string): string {
  const m = /^arn:aws[\w-]*:(?:secretsmanager|ssm):([a-z0-9-]+):/.exec(id);
  return m?.[1] ?? fallback;
}

/**
 * A secret's text as the setting's value: the whole string, or, when it is a JSON object with a
 * string property named after the setting (a key/value secret made in the console), that property.
 */
export function secretValue(raw: string, setting: SecretSetting): string {
  const text = raw.trim();
  if (text.startsWith('{')) {
    try {
      const obj = JSON.parse(text) as Record<string, unknown>;
      const v = obj?.[setting];
      if (typeof v === 'string') return v.trim();
    } catch {
      // not JSON: the whole text is the value
    }
  }
  return text;
}

/**
 * Reads every referenced secret; returns them as settings overrides (`{API_KEY: …}`), empty when
 * nothing is referenced (no SDK is loaded then). Throws {@link SecretLookupError} (exit 2).
 *
 * @example
 * const overrides = await resolveSecretSettings(process.env); // API_KEY_SECRET_ID=payments/stripe
 * const ctx = createContext('run-all', {}, overrides);
 */
export async function resolveSecretSettings(
  env: Readonly<Record<string, string | undefined>>,
): Promise<Record<string, string>> {
  const refs = secretReferences(env);
  const region = set(env, 'AWS_REGION') ?? set(env, 'AWS_DEFAULT_REGION') ?? 'us-east-1';
  const out: Record<string, string> = {};
  for (const ref of refs) {
    const raw = await fetchSecret(ref, regionOf(ref.id, region));
    const value = secretValue(raw, ref.setting);
    if (!value) throw new SecretLookupError(ref, 'the value is empty');
    out[ref.setting] = value;
  }
  return out;
}

async function fetchSecret(ref: SecretReference, region: string): Promise<string> {
  try {
    if (ref.service === 'secretsmanager') {
      const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
      const client = new SecretsManagerClient({ region, maxAttempts: 3 });
      try {
        const out = await client.send(new GetSecretValueCommand({ SecretId: ref.id }));
        if (out.SecretString === undefined)
          throw new SecretLookupError(ref, 'the secret is binary; store the key as text');
        return out.SecretString;
      } finally {
        client.destroy();
      }
    }
    const { SSMClient, GetParameterCommand } = await import('@aws-sdk/client-ssm');
    const client = new SSMClient({ region, maxAttempts: 3 });
    try {
      const out = await client.send(new GetParameterCommand({ Name: ref.id, WithDecryption: true }));
      return out.Parameter?.Value ?? '';
    } finally {
      client.destroy();
    }
  } catch (err) {
    if (err instanceof SecretLookupError) throw err;
    const e = err as { name?: string; message?: string };
    throw new SecretLookupError(ref, `${e.name ?? 'Error'}: ${e.message ?? String(err)}`, { cause: err });
  }
}
