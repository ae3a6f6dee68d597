import { cpus, totalmem } from 'node:os';

/** A row of a benchmark table: column name to value. */
export type Row = Record<string, string | number>;

/** Prints rows as an aligned text table. */
export function printTable(title: string, rows: readonly Row[]): void {
  const first = rows[0];
  if (first === undefined) return;
  const cols = Object.keys(first);
  const cell = (v: string | number | undefined) =>
    typeof v === 'number'
      ? Number.isInteger(v)
        ? v.toLocaleString('en-US')
        : v.toFixed(3)
      : (v ?? '');
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) => values.map((v, i) => v.padStart(widths[i]!)).join('  ');
  process.stdout.write(`\n${title}\n`);
  process.stdout.write(line(cols) + '\n');
  process.stdout.write(widths.map((w) => '-'.repeat(w)).join('  ') + '\n');
  for (const r of rows) process.stdout.write(line(cols.map((c) => cell(r[c]))) + '\n');
}

/** The machine a figure was measured on. */
export function machine(): { cpu: string; cores: number; memoryGiB: number; node: string } {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  };
}

/** Prints the final JSON line every benchmark ends with. */
export function printJson(name: string, figures: object): void {
  process.stdout.write(JSON.stringify({ bench: name, machine: machine(), ...figures }) + '\n');
}

/**
 * Starts a CPU clock: the function returned gives the CPU milliseconds (user
 * and system, every thread of this process: LevelDB's, the garbage
 * collector's) spent since.
 */
export function cpuClock(): () => number {
  const start = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 1000;
  };
}

/** Reads `--name value` from args, with a default. */
export function flag(args: readonly string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
}
