import { randomBytes } from 'node:crypto';

/**
 * A new time-sortable run id, `YYYYMMDDTHHMMSSZ-<6 hex>`: readable in keys and sorted by start
 * time when listed.
 */
export function newRunId(now: Date = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}
