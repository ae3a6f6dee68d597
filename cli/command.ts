import type { Command } from 'commander';
import { CodedError } from '../crypto/index.js';
import { CliError } from './errors.js';
import { createOutput } from './output.js';
import type { Output } from './output.js';
import { DEFAULT_DIR } from './context.js';

/** Options every command accepts. */
export interface CommonOptions {
  dir: string;
  json?: boolean;
}

/** Where a command action records its exit status. */
let exitStatus = 0;

/** Parses `--name` as a whole number ≥ `min` (undefined when not given); `USAGE` otherwise. */
export function intOption(
  name: string,
  value: string | undefined,
  min: number,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min)
    throw new CliError('USAGE', `--${name} takes a whole number ≥ ${min}, got "${value}"`);
  return n;
}

/** Exit status of the last action (read by `main`). */
export function takeExitStatus(): number {
  const s = exitStatus;
  exitStatus = 0;
  return s;
}

/** Any error with a stable `code` from one of our folders. */
function codeOf(err: unknown): string | undefined {
  if (err instanceof CodedError) return (err as CodedError).code;
  // System errors (ENOENT, EACCES…) carry a code of their own.
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Z_]+$/.test(code) ? code : undefined;
}

/**
 * Adds `--dir` and `--json` to a command and wraps its action: errors become
 * `error [CODE]: message` on stderr (and a final JSON line with --json) and a
 * non-zero exit status; nothing is thrown past here.
 */
export function action<O extends CommonOptions, A extends unknown[]>(
  cmd: Command,
  fn: (out: Output, options: O, ...args: A) => Promise<number | void>,
): Command {
  return cmd
    .option('--dir <dir>', 'data folder', DEFAULT_DIR)
    .option('--json', 'print one JSON object as the last line of stdout')
    .action(async (...all: unknown[]) => {
      // commander passes positional args, then the options object, then the command.
      const args = all.slice(0, -2) as A;
      const options = all[all.length - 2] as O;
      const out = createOutput(options.json === true);
      try {
        exitStatus = (await fn(out, options, ...args)) ?? 0;
      } catch (err) {
        const code = codeOf(err) ?? 'INTERNAL';
        const message = err instanceof Error ? err.message : String(err);
        out.warn(`error [${code}]: ${message}`);
        if (code === 'INTERNAL' && err instanceof Error && err.stack) out.warn(err.stack);
        out.result({ ok: false, code, message });
        exitStatus = err instanceof CliError ? err.exitCode : 1;
      }
    });
}
