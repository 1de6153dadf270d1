import { describe, expect, it } from 'vitest';
import { renderPartIds, sidecarId } from './part-ids.js';

describe('part id sidecar', () => {
  it('renders a header with the part size and record count, then one id a line', () => {
    expect(renderPartIds(1234, ['ch_1', 'ch_2'])).toBe(
      '{"part_bytes":1234,"lines":2}\n{"id":"ch_1"}\n{"id":"ch_2"}\n',
    );
  });

  it('vouches only for ids that read the same raw and parsed', () => {
    expect(sidecarId('ch_3MmlLrLkdIwHu7ix0snN0B15')).toBe('ch_3MmlLrLkdIwHu7ix0snN0B15');
    for (const bad of [undefined, 42, '', 'ch_\\u0041', 'ch "x"', 'ch_\n1', 'ch_é', 'x'.repeat(256)])
      expect(sidecarId(bad), String(bad)).toBeUndefined();
  });
});
