/**
 * The benchmark's verdict: the rows of the table (figure, ours, floor or peer, ratio, target, met?)
 * from the measured numbers, and their Markdown. Pure.
 */

/** A target on a ratio: `<=` or `>=` a bound. */
export interface Target {
  readonly op: '<=' | '>=';
  readonly bound: number;
}

/** One line of the table. */
export interface Row {
  readonly figure: string;
  /** Our measure, already formatted (e.g. `12.3 s`). */
  readonly ours: string;
  /** The floor's or peer's measure, formatted; empty when the figure has none. */
  readonly other: string;
  readonly ratio?: number;
  readonly target?: Target;
  /** Whether the ratio meets the target; undefined without a target. */
  readonly met?: boolean;
}

/** Whether `ratio` meets `target`. */
export function meets(ratio: number, target: Target): boolean {
  return target.op === '<=' ? ratio <= target.bound : ratio >= target.bound;
}

/** A row with a ratio and a target, `met` computed. */
export function ratioRow(figure: string, ours: string, other: string, ratio: number, target: Target): Row {
  return { figure, ours, other, ratio, target, met: meets(ratio, target) };
}

/** Seconds, one decimal under 100 s. */
export const fmtSeconds = (s: number): string => (s < 100 ? `${s.toFixed(1)} s` : `${Math.round(s)} s`);
/** MiB, whole. */
export const fmtMiB = (m: number): string => `${Math.round(m)} MiB`;
/** An integer with thousands separators. */
export const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** The Markdown table of the rows. */
export function markdownTable(rows: readonly Row[]): string {
  const head = '| figure | ours | floor or peer | ratio | target | met? |\n|---|---|---|---|---|---|';
  const lines = rows.map((r) => {
    const ratio = r.ratio === undefined ? '' : r.ratio.toFixed(r.ratio < 0.1 ? 3 : 2);
    const target = r.target ? `${r.target.op} ${r.target.bound}` : '';
    const met = r.met === undefined ? '' : r.met ? 'yes' : '**no**';
    return `| ${r.figure} | ${r.ours} | ${r.other} | ${ratio} | ${target} | ${met} |`;
  });
  return [head, ...lines].join('\n');
}
