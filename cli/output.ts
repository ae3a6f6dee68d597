import { stderr, stdout } from 'node:process';

/**
 * Output conventions: humans read lines on stdout; with `--json` the last
 * line of stdout is exactly one JSON object. Diagnostics go to stderr.
 */
export interface Output {
  readonly json: boolean;
  /** A line for humans (suppressed with --json). */
  line(text?: string): void;
  /** The final JSON object (printed with --json only). */
  result(value: object): void;
  /** A diagnostic on stderr, in both modes. */
  warn(text: string): void;
}

/** JSON.stringify that turns byte arrays into hex and bigints into strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
    if (typeof v === 'bigint') return v.toString();
    return v;
  });
}

/** The process's output, in human or JSON mode. */
export function createOutput(json: boolean): Output {
  return {
    json,
    line(text = '') {
      if (!json) stdout.write(text + '\n');
    },
    result(value) {
      if (json) stdout.write(toJson(value) + '\n');
    },
    warn(text) {
      stderr.write(text + '\n');
    },
  };
}
