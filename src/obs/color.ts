/**
 * Whether output to `stream` may carry ANSI colours: only a terminal, and never with `NO_COLOR`
 * set to anything but the empty string (https://no-color.org), nor with `TERM=dumb`.
 */
export function colorEnabled(
  stream: { isTTY?: boolean } = process.stderr,
  env: Record<string, string | undefined> = process.env,
): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return Boolean(stream.isTTY);
}

/**
 * Options for a cli-table3 table: no rule between body rows (a 15-row summary fits a screen), and
 * no colours in headers and borders unless colours are on (cli-table3 colours them by default).
 */
export function tableStyle(color: boolean): {
  chars: Record<string, string>;
  style?: { head: string[]; border: string[] };
} {
  const chars = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };
  return color ? { chars } : { chars, style: { head: [], border: [] } };
}
