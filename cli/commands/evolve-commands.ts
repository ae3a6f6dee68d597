import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { shortId } from '../../crypto/index.js';
import type { EventId } from '../../crypto/index.js';
import { tasks } from '../../evolution/index.js';
import { action, intOption as int } from '../command.js';
import type { CommonOptions } from '../command.js';
import { openContext } from '../context.js';
import { CliError } from '../errors.js';
import { runEvolution } from '../evolve-run.js';

interface EvolveOptions extends CommonOptions {
  seed: string;
  population?: string;
  maxEvaluations?: string;
  workers?: string;
  resume?: boolean | string;
  taskModule?: string;
  ledger: boolean;
}

/** Registers `evolve` and `tasks`. */
export function registerEvolveCommands(program: Command): void {
  action(
    program
      .command('evolve')
      .argument('<task>', 'task id (see "evoledger tasks"), or a name for --task-module')
      .description('evolve networks on a task, recording every step in the signed ledger')
      .option('--seed <n>', 'run seed (uint32)', '1')
      .option('--population <n>', 'population size')
      .option('--max-evaluations <n>', 'stop after this many fitness evaluations')
      .option('--workers <n>', 'evaluation threads (0: inline; default one per core)')
      .option('--resume [run]', 'continue the latest run of this task (or the run with this id)')
      .option('--task-module <path>', 'an ES module exporting a custom task')
      .option('--no-ledger', 'discard events (measures what the ledger costs)'),
    async (out, opts: EvolveOptions, taskId: string) => {
      const seed = int('seed', opts.seed, 0)!;
      if (seed > 0xffffffff) throw new CliError('USAGE', '--seed must fit in 32 bits');
      const population = int('population', opts.population, 2);
      const maxEvaluations = int('max-evaluations', opts.maxEvaluations, 1);
      const workers = int('workers', opts.workers, 0);
      const ctx = await openContext(opts.dir, { autoInit: true });
      const controller = new AbortController();
      const stop = () => {
        out.warn('stopping after this generation (Ctrl-C again to force)…');
        controller.abort();
        process.once('SIGINT', () => process.exit(130));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const bar =
        !out.json && process.stderr.isTTY
          ? new cliProgress.SingleBar(
              {
                stream: process.stderr,
                format:
                  ' {bar} {value}/{total} evals | gen {generation} | best {best} | species {species}',
                hideCursor: true,
              },
              cliProgress.Presets.shades_classic,
            )
          : undefined;
      try {
        const summary = await runEvolution(ctx, {
          task: taskId,
          ...(opts.taskModule !== undefined ? { taskModule: opts.taskModule } : {}),
          seed,
          overrides: {
            ...(population !== undefined ? { population } : {}),
            ...(maxEvaluations !== undefined ? { maxEvaluations } : {}),
          },
          ...(workers !== undefined ? { workers } : {}),
          ...(opts.resume !== undefined
            ? { resume: opts.resume === true ? true : (opts.resume as EventId) }
            : {}),
          discard: !opts.ledger,
          signal: controller.signal,
          onProgress(p) {
            // With --json, one line per generation before the final summary.
            if (out.json) {
              const line = {
                progress: {
                  generation: p.generation,
                  evaluations: p.evaluations,
                  best: p.best,
                  species: p.species,
                },
              };
              process.stdout.write(JSON.stringify(line) + '\n');
            }
            if (bar === undefined) return;
            const payload = {
              generation: p.generation,
              best: p.best.toFixed(4),
              species: p.species,
            };
            if (bar.getTotal() === 0 || !bar.isActive)
              bar.start(
                maxEvaluations ?? Math.max(p.evaluations * 4, 1000),
                p.evaluations,
                payload,
              );
            if (p.evaluations > bar.getTotal()) bar.setTotal(p.evaluations * 2);
            bar.update(p.evaluations, payload);
          },
        });
        bar?.stop();
        const counts = await ctx.ledger.store.counts();
        out.line(
          `${summary.solved ? 'solved' : 'not solved'} ${summary.task} (seed ${summary.seed}) — stopped: ${summary.stopped}`,
        );
        out.line(`  evaluations  ${summary.evaluations}`);
        out.line(`  generations  ${summary.generations}`);
        out.line(
          `  champion     ${summary.champion.genotypeId} fitness ${summary.champion.fitness}`,
        );
        out.line(`  run          ${summary.run}`);
        out.line(
          `  events       ${summary.events} written (${counts.events} in the ledger at ${ctx.dir})`,
        );
        out.line(`  time         ${(summary.wallMs / 1000).toFixed(2)} s`);
        out.line(
          `  next         evoledger lineage ${shortId(summary.champion.genotypeId)}  |  evoledger replay  |  evoledger verify`,
        );
        out.result({ ok: true, ...summary });
      } finally {
        bar?.stop();
        process.removeListener('SIGINT', stop);
        process.removeListener('SIGTERM', stop);
        await ctx.close();
      }
    },
  );

  action(program.command('tasks').description('list the built-in tasks'), (out) => {
    const list = tasks();
    for (const t of list)
      out.line(`${t.id.padEnd(12)} v${t.version}  ${t.description}  ${JSON.stringify(t.params)}`);
    out.result({ ok: true, tasks: list });
    return Promise.resolve();
  });
}
