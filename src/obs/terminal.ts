import { Writable } from 'node:stream';

/**
 * Where human-readable log lines go: stderr, or, while progress bars are drawn, the bars' own
 * log (printed above them), so that a line never lands inside a bar.
 */
let redirect: ((text: string) => void) | undefined;

export function redirectTerminal(fn: ((text: string) => void) | undefined): void {
  redirect = fn;
}

/** The stream pretty log lines are written to. */
export function terminalStream(): Writable {
  return new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      const text = chunk.toString();
      if (redirect) redirect(text);
      else process.stderr.write(text);
      cb();
    },
  });
}
