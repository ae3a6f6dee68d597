import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initialise } from '../cli/context.js';
import { runEvolution } from '../cli/evolve-run.js';
import { flag, printJson, printTable } from './report.js';
import type { Row } from './report.js';

/**
 * What recording costs: the same runs (same tasks, seeds, configuration,
 * workers) once with every event signed into a level store, once with
 * events discarded. Goal: ledger on ≤ 1.25× ledger off.
 */
export async function run(args: string[]): Promise<void> {
  const seeds = Number(flag(args, 'seeds', '10'));
  const tasks = flag(args, 'tasks', 'xor,dpv').split(',');
  const workers = Number(flag(args, 'workers', '0'));
  const rows: Row[] = [];
  const figures: Record<string, { offMs: number; onMs: number; ratio: number; events: number }> =
    {};
  for (const task of tasks) {
    let offMs = 0;
    let onMs = 0;
    let events = 0;
    for (let seed = 1; seed <= seeds; seed++) {
      // Alternate the order so neither side always runs on a warmer JIT.
      for (const discard of seed % 2 === 0 ? [true, false] : [false, true]) {
        const dir = await mkdtemp(join(tmpdir(), 'evoledger-overhead-'));
        const ctx = await initialise(join(dir, 'data'));
        try {
          const t = performance.now();
          const summary = await runEvolution(ctx, { task, seed, workers, discard });
          const ms = performance.now() - t;
          if (discard) offMs += ms;
          else {
            onMs += ms;
            events += summary.events;
          }
        } finally {
          await ctx.close();
          await rm(dir, { recursive: true, force: true });
        }
      }
    }
    const ratio = onMs / offMs;
    figures[task] = { offMs: Math.round(offMs), onMs: Math.round(onMs), ratio, events };
    rows.push({
      task,
      seeds,
      'ledger off (s)': offMs / 1000,
      'ledger on (s)': onMs / 1000,
      'on / off': ratio,
      events,
    });
  }
  printTable(
    `ledger overhead: full runs, ${workers} evaluation workers, level store fsynced`,
    rows,
  );
  printJson('ledger-overhead', { seeds, workers, tasks: figures });
}
