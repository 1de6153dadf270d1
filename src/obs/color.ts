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

/** cli-table3 colours its headers and borders by default: none unless colours are on. */
export function tableStyle(color: boolean): { style?: { head: string[]; border: string[] } } {
  return color ? {} : { style: { head: [], border: [] } };
}
