import { describe, expect, it } from 'vitest';
import { CatalogOptionError } from '../catalog/ddl.js';
import { ConfigError } from '../config/settings.js';
import { ExtractOptionsError } from '../extract/run-extract.js';
import { NoSuchRunError } from '../report/report-data.js';
import { LockHeldError, LockLostError } from '../state/lock.js';
import { EXIT, exitCodeFor, UsageError } from './exit-codes.js';
import { LambdaDeadlineError } from './lambda.js';
import { InterruptedError } from './signals.js';

describe('exitCodeFor', () => {
  it('maps each kind of domain error to its SPEC 13 exit code', () => {
    const holder = { run_id: 'a', command: 'run-all', host: 'h', pid: 1, acquired_at: '', expires_at_ms: 0 };
    const cases: [unknown, number][] = [
      [new ConfigError('bad'), EXIT.usage],
      [new CatalogOptionError('bad'), EXIT.usage],
      [new ExtractOptionsError('bad'), EXIT.usage],
      [new NoSuchRunError('none'), EXIT.usage],
      [new UsageError('bad'), EXIT.usage],
      [new LockHeldError(holder as never), EXIT.locked],
      [new LockLostError('lost'), EXIT.failed],
      [new InterruptedError('SIGTERM'), EXIT.failed],
      [new LambdaDeadlineError('r', 1000), EXIT.failed],
      [new Error('anything else'), EXIT.failed],
      ['not even an error', EXIT.failed],
      [{ kind: 'no such kind' }, EXIT.failed],
    ];
    expect(cases.map(([err]) => exitCodeFor(err))).toEqual(cases.map(([, code]) => code));
  });
});
