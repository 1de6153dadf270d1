import { describe, expect, it } from 'vitest';
import { regionOf, secretReferences, secretValue } from './secrets.js';
import { parseSettings } from './settings.js';

describe('secretReferences', () => {
  it('reads each kind of reference, trimmed', () => {
    expect(
      secretReferences({ API_KEY_SECRET_ID: ' pp/stripe ', WEBHOOK_SECRET_PARAMETER: '/pp/whsec' }),
    ).toEqual([
      { setting: 'API_KEY', variable: 'API_KEY_SECRET_ID', service: 'secretsmanager', id: 'pp/stripe' },
      { setting: 'WEBHOOK_SECRET', variable: 'WEBHOOK_SECRET_PARAMETER', service: 'ssm', id: '/pp/whsec' },
    ]);
    expect(secretReferences({ API_KEY: 'sk_test_x', API_KEY_SECRET_ID: '' })).toEqual([]);
  });

  it.each([
    [{ API_KEY_SECRET_ID: 'a', API_KEY_PARAMETER: '/b' }, /API_KEY_SECRET_ID and API_KEY_PARAMETER: set one/],
    [
      { WEBHOOK_SECRET: 'whsec_x', WEBHOOK_SECRET_SECRET_ID: 'a' },
      /WEBHOOK_SECRET and WEBHOOK_SECRET_SECRET_ID/,
    ],
    [{ API_KEY_PARAMETER: 'has space' }, /API_KEY_PARAMETER: invalid value \(got "has space"\)/],
  ])('refuses %j', (env, message) => {
    expect(() => secretReferences(env)).toThrow(message);
  });
});

describe('secretValue and regionOf', () => {
  it('a plain secret is its text; a key/value secret gives the property named after the setting', () => {
    expect(secretValue(' sk_live_abc\n', 'API_KEY')).toBe('sk_live_abc');
    expect(secretValue('{"API_KEY": "sk_live_json", "other": 1}', 'API_KEY')).toBe('sk_live_json');
    expect(secretValue('{"WEBHOOK_SECRET": "whsec_a,whsec_b"}', 'WEBHOOK_SECRET')).toBe('whsec_a,whsec_b');
    expect(secretValue('{"unrelated": "x"}', 'API_KEY')).toBe('{"unrelated": "x"}');
    expect(secretValue('{not json', 'API_KEY')).toBe('{not json');
  });

  it('an ARN names its region; a name uses the configured one', () => {
    expect(regionOf('arn:aws:secretsmanager:eu-west-1:123456789012:secret:pp-AbC', 'us-east-1')).toBe(
      'eu-west-1',
    );
    expect(regionOf('arn:aws:ssm:ap-south-1:123456789012:parameter/pp/key', 'us-east-1')).toBe('ap-south-1');
    expect(regionOf('pp/stripe', 'us-east-2')).toBe('us-east-2');
  });
});

describe('the settings schema', () => {
  it('validates the reference variables like the others (exit 2, the variable named)', () => {
    expect(
      parseSettings({ API_KEY_SECRET_ID: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:pp-AbC' })
        .API_KEY_SECRET_ID,
    ).toBe('arn:aws:secretsmanager:us-east-1:123456789012:secret:pp-AbC');
    expect(() => parseSettings({ WEBHOOK_SECRET_PARAMETER: 'a b' })).toThrow(
      /WEBHOOK_SECRET_PARAMETER: invalid value \(got "a b"\); accepts SSM SecureString parameter/,
    );
  });
});
