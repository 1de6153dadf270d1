import { describe, expect, it } from 'vitest';
import { describeS3Server, type S3TestConfig } from '../s3-server.js';

const config: S3TestConfig = {
  endpoint: 'http://127.0.0.1:7480',
  region: 'us-east-1',
  accessKeyId: 'AK',
  secretAccessKey: 'SK',
  bucket: 'pp-test',
  source: 'ceph',
};

describe('the S3 test server line of global setup', () => {
  it('names the throwaway Ceph cluster, or the outside server the environment chose', () => {
    expect(describeS3Server({ ok: true, config })).toBe(
      '[s3-server] S3 tests use the throwaway Ceph RGW at http://127.0.0.1:7480 (bucket pp-test)',
    );
    const outside = describeS3Server({
      ok: true,
      config: { ...config, endpoint: 'https://s3.example.com', source: 'external' },
    });
    expect(outside).toContain('OUTSIDE server at https://s3.example.com');
    expect(outside).toContain('TEST_S3_ENDPOINT/S3_ENDPOINT_URL');
    expect(outside).not.toContain('SK');
  });

  it('says the S3 tests will fail, and why, when there is no server', () => {
    expect(describeS3Server({ ok: false, error: 'could not start\nlong stderr' })).toBe(
      '[s3-server] S3 tests will fail: could not start',
    );
  });
});
