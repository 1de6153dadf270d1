import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MARGIN_SECONDS,
  LambdaDeadlineError,
  LambdaEventError,
  lambdaSettingDefaults,
  parseLambdaEvent,
  runBudgetMs,
} from './lambda.js';

describe('parseLambdaEvent', () => {
  it('runs the defaults for an EventBridge scheduled event (unknown fields ignored)', () => {
    const scheduled = {
      version: '0',
      id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      time: '2024-06-15T02:00:00Z',
      detail: {},
    };
    expect(parseLambdaEvent(scheduled)).toEqual({ marginSeconds: DEFAULT_MARGIN_SECONDS });
    expect(parseLambdaEvent(undefined)).toEqual({ marginSeconds: DEFAULT_MARGIN_SECONDS });
  });

  it('reads run id, days, until (ISO or unix seconds) and margin', () => {
    expect(
      parseLambdaEvent({ runId: 'r1', days: 7, until: '2024-06-15T00:00:00Z', marginSeconds: 30 }),
    ).toEqual({ runId: 'r1', days: 7, until: Date.UTC(2024, 5, 15) / 1000, marginSeconds: 30 });
    expect(parseLambdaEvent({ until: 1718409600 }).until).toBe(1718409600);
  });

  it('rejects bad fields naming the field', () => {
    expect(() => parseLambdaEvent({ days: 0 })).toThrow(LambdaEventError);
    expect(() => parseLambdaEvent({ days: 'seven' })).toThrow(/days/);
    expect(() => parseLambdaEvent({ until: 'yesterday' })).toThrow(/until/);
    expect(() => parseLambdaEvent({ marginSeconds: -1 })).toThrow(/marginSeconds/);
  });
});

describe('runBudgetMs', () => {
  it('is the remaining time less the margin', () => {
    expect(runBudgetMs(900_000, 60)).toBe(840_000);
    expect(runBudgetMs(30_000, 60)).toBe(-30_000);
  });
});

describe('lambdaSettingDefaults', () => {
  it('puts the LOCAL data root under /tmp in Lambda only, unless configured', () => {
    expect(lambdaSettingDefaults({ AWS_LAMBDA_FUNCTION_NAME: 'f' })).toEqual({
      LOCAL_DATA_DIR: '/tmp/payments-pipeline/data',
    });
    expect(lambdaSettingDefaults({ AWS_LAMBDA_FUNCTION_NAME: 'f', LOCAL_DATA_DIR: '/mnt/x' })).toEqual({});
    expect(lambdaSettingDefaults({})).toEqual({});
  });
});

describe('LambdaDeadlineError', () => {
  it('names the run, its manifest and what to do', () => {
    const e = new LambdaDeadlineError('abc', 840_000);
    expect(e.message).toMatch(/run abc stopped at its deadline \(840 s/);
    expect(e.message).toContain('_state/manifests/run_abc.json');
    expect(e.message).toMatch(/timeout|ECS/);
    expect(e.exitCode).toBe(1);
  });
});
