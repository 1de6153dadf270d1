import { describe, expect, it } from 'vitest';
import { renderQualityReport } from './render-report.js';
import { reportPassed } from './run-quality.js';

describe('renderQualityReport', () => {
  it('lists every check and the details of the failed ones', () => {
    const checks = [
      { name: 'schema.silver.charges', severity: 'error' as const, passed: true, details: {}, seconds: 0.1 },
      {
        name: 'ref.charges.customer_id',
        severity: 'error' as const,
        passed: false,
        details: { orphans: { count: 1, examples: [{ id: 'ch_9', customer_id: 'cus_404' }] } },
      },
      {
        name: 'freshness.fct_payments',
        severity: 'warn' as const,
        passed: false,
        details: { age_hours: 40 },
      },
    ];
    const text = renderQualityReport({ passed: reportPassed(checks), scope: 'changed', checks });
    expect(text).toContain('schema.silver.charges');
    expect(text).toMatch(/FAIL ref\.charges\.customer_id\n {2}orphans: .*cus_404/);
    expect(text).toContain('WARN freshness.fct_payments');
    expect(text).toContain('quality FAILED (scope changed): 1 passed, 1 failed, 1 warnings');
  });
});

describe('reportPassed', () => {
  it('fails only on an error-severity failure', () => {
    const warn = { name: 'w', severity: 'warn' as const, passed: false, details: {} };
    const err = { name: 'e', severity: 'error' as const, passed: false, details: {} };
    expect(reportPassed([warn])).toBe(true);
    expect(reportPassed([warn, err])).toBe(false);
  });
});
