import type { Command } from 'commander';
import { shortId } from '../../crypto/index.js';
import type { EventId, GenotypeId } from '../../crypto/index.js';
import { importLog, Ledger } from '../../ledger/index.js';
import type { EventStore } from '../../ledger/index.js';
import { MemoryStore } from '../../ledger/memory-store.js';
import {
  descendants,
  evolutionReplayEngine,
  formatLineageDot,
  formatLineageText,
  lineage,
  championSummaries,
  LiveProjection,
  populationAt,
  populationOf,
  primaryFitness,
  replay,
} from '../../projections/index.js';
import type { Fitness, ReplayReport, RunSummary } from '../../projections/index.js';
import { action } from '../command.js';
import type { CommonOptions } from '../command.js';
import { openContext } from '../context.js';
import { CliError } from '../errors.js';
import type { Output } from '../output.js';

const int = (name: string) => (v: string) => {
  const n = Number.parseInt(v, 10);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new CliError('USAGE', `${name} must be a non-negative integer, got "${v}"`);
  return n;
};

const fmt = (f: Fitness | number | null | undefined): string =>
  f === null || f === undefined ? '-' : String(Number(primaryFitness(f).toPrecision(6)));

/** Opens the data folder's projections (cache, then catch-up) and refreshes the cache. */
async function withProjections<T>(
  dir: string,
  fn: (store: EventStore, live: LiveProjection) => Promise<T>,
): Promise<T> {
  const ctx = await openContext(dir);
  try {
    const store = ctx.ledger.store;
    const live = await LiveProjection.open(store);
    // Refresh the cache when it was missing or behind; a failed write only costs the next open time.
    if (live.foldedOnOpen > 0) await live.save(store).catch(() => false);
    return await fn(store, live);
  } finally {
    await ctx.close();
  }
}

/** A full id, or a unique prefix of a known genotype id (as text output shows them). */
function resolveGenotype(live: LiveProjection, given: string): GenotypeId {
  if (/^[0-9a-f]{64}$/.test(given)) return given as GenotypeId;
  if (!/^[0-9a-f]{4,63}$/.test(given))
    throw new CliError('USAGE', `"${given}" is not a genotype id (hex, at least 4 digits)`);
  const hits = new Set<string>();
  for (const g of live.state.origins.keys()) if (g.startsWith(given)) hits.add(g);
  for (const g of live.state.bestOf.keys()) if (g.startsWith(given)) hits.add(g);
  if (hits.size === 1) return [...hits][0] as GenotypeId;
  if (hits.size === 0) throw new CliError('NOT_FOUND', `no genotype starts with ${given}`);
  throw new CliError('USAGE', `${given} is ambiguous (${hits.size} genotypes): give more digits`);
}

/** A run id or unique prefix; without one, the run started last in the log. */
async function resolveRun(
  store: EventStore,
  live: LiveProjection,
  given: string | undefined,
): Promise<EventId> {
  // From the state's tables: finalising the whole view would cost seconds on a large ledger.
  const runs = [...new Set([...live.state.runs.keys(), ...live.state.runTotals.keys()])].sort();
  if (given === undefined) {
    let last: EventId | undefined;
    for await (const e of store.events({ kind: 'run' })) last = e.id;
    last ??= runs[runs.length - 1];
    if (last === undefined)
      throw new CliError('NOT_FOUND', 'no run here yet: start one with "evoledger evolve"');
    return last;
  }
  const hits = runs.filter((r) => r.startsWith(given));
  if (hits.length === 1) return hits[0]!;
  if (hits.length === 0)
    throw new CliError('NOT_FOUND', `no run starts with ${given}: "evoledger runs" lists them`);
  throw new CliError('USAGE', `${given} is ambiguous (${hits.length} runs): give more digits`);
}

function printReport(out: Output, report: ReplayReport, seconds: number): void {
  if (report.skipped > 0) {
    out.warn(
      `${report.skipped} events of runs recorded by ${report.foreignEngines.join(', ')} were not replayed: ` +
        `this build replays ${report.engine} runs only`,
    );
  }
  const first = report.divergences[0];
  if (first !== undefined) {
    out.line(`DIVERGED at ${first.kind} event ${first.event} (${first.check})`);
    out.line(`  recorded: ${first.expected}`);
    out.line(`  replayed: ${first.got}`);
  } else {
    out.line(
      `ok: ${report.events} events replayed with ${report.engine} in ${seconds.toFixed(2)} s: ` +
        `${report.seeds} seeds and ${report.mutations} mutations re-derived to identical ids, ` +
        `${report.selections} selections checked (${report.reselected} re-run), ` +
        `${report.reEvaluated} evaluations re-run` +
        (report.notReEvaluated > 0
          ? ` (${report.notReEvaluated} of non-deterministic or unknown tasks skipped)`
          : ''),
    );
    if (report.species.length > 0) {
      const counts = report.species.map((s) => s.species);
      out.line(
        `species per re-run selection: ${Math.min(...counts)}..${Math.max(...counts)} (see --json)`,
      );
    }
  }
}

function runLine(r: RunSummary): string {
  const last = r.generations[r.generations.length - 1];
  return [
    shortId(r.run),
    (r.task ?? '?').padEnd(12),
    String(last?.generation ?? '-').padStart(5),
    fmt(r.best?.fitness).padStart(10),
    String(r.evaluations).padStart(10),
    (r.best?.solved ? 'solved' : '').padEnd(6),
    r.lostBranches.length > 0 ? `${r.lostBranches.length} lost branch(es)` : '',
    r.known ? '' : '(run event not held)',
  ].join('  ');
}

/** Registers lineage, descendants, replay, population, champion and runs. */
export function registerProjectionCommands(program: Command): void {
  action(
    program
      .command('lineage')
      .argument('<genotype>', 'genotype id (or a unique prefix)')
      .description(
        'ancestry of a genotype back to its seeds: operators, signers, fitness, signatures checked',
      )
      .option('--format <format>', 'text, json or dot (Graphviz)', 'text')
      .option('--depth <n>', 'at most this many steps back', int('--depth'))
      .option('--no-verify', 'skip the signature and chain checks'),
    async (
      out,
      opts: CommonOptions & { format: string; depth?: number; verify: boolean },
      given: string,
    ) => {
      if (!['text', 'json', 'dot'].includes(opts.format)) {
        throw new CliError('USAGE', `--format must be text, json or dot, not "${opts.format}"`);
      }
      return withProjections(opts.dir, async (store, live) => {
        const genotype = resolveGenotype(live, given);
        const l = await lineage(store, genotype, {
          ...(opts.depth === undefined ? {} : { depth: opts.depth }),
          verify: opts.verify,
          projection: live.state,
        });
        if (opts.format === 'dot' && !out.json) process.stdout.write(formatLineageDot(l) + '\n');
        else if (opts.format === 'json' && !out.json)
          process.stdout.write(JSON.stringify(l) + '\n');
        else for (const line of formatLineageText(l)) out.line(line);
        if (!l.intact)
          out.warn(
            'error [VERIFICATION_FAILED]: some events of this lineage do not check out (marked ✗)',
          );
        out.result({ ok: l.intact, ...(l.intact ? {} : { code: 'VERIFICATION_FAILED' }), ...l });
        return l.intact ? 0 : 1;
      });
    },
  );

  action(
    program
      .command('descendants')
      .argument('<genotype>', 'genotype id (or a unique prefix)')
      .description('every genotype bred from a genotype, generation by generation')
      .option('--depth <n>', 'at most this many generations down', int('--depth'))
      .option('--limit <n>', 'at most this many descendants', int('--limit')),
    async (out, opts: CommonOptions & { depth?: number; limit?: number }, given: string) =>
      withProjections(opts.dir, async (store, live) => {
        const genotype = resolveGenotype(live, given);
        const d = await descendants(store, genotype, {
          ...(opts.depth === undefined ? {} : { depth: opts.depth }),
          ...(opts.limit === undefined ? {} : { limit: opts.limit }),
        });
        for (const x of d.descendants) {
          const best = live.state.bestOf.get(x.genotype);
          out.line(
            `${'  '.repeat(Math.min(x.depth - 1, 20))}${shortId(x.genotype)}  gen ${x.generation}  from ${shortId(x.parent)}${x.viaMate ? ' (as mate)' : ''}  by ${shortId(x.author)}  fitness ${fmt(best?.fitness)}`,
          );
        }
        out.line(
          `${d.descendants.length} descendant(s) of ${shortId(genotype)}${d.truncated ? ' (truncated)' : ''}`,
        );
        out.result({ ok: true, ...d });
      }),
  );

  action(
    program
      .command('replay')
      .description(
        're-derive every genotype id, selection and (with --re-evaluate) fitness from the log',
      )
      .option('--from <file>', 'replay an exported log file instead of the data folder')
      .option('--re-evaluate', 're-run the evaluations of deterministic tasks and compare fitness')
      .option('--all', 'report every divergence, not only the first'),
    async (out, opts: CommonOptions & { from?: string; reEvaluate?: boolean; all?: boolean }) => {
      let store: EventStore;
      let close: () => Promise<void>;
      if (opts.from !== undefined) {
        store = await MemoryStore.open();
        const ledger = await Ledger.open(store);
        const imported = await importLog(ledger, opts.from);
        for (const r of imported.rejected)
          out.warn(`import: ${r.code} ${r.block ?? ''}: ${r.message}`);
        out.line(
          `imported ${imported.accepted} blocks (${imported.events} events) from ${opts.from}`,
        );
        close = () => store.close();
      } else {
        const ctx = await openContext(opts.dir);
        store = ctx.ledger.store;
        close = () => ctx.close();
      }
      try {
        const started = performance.now();
        const tty = !out.json && process.stderr.isTTY;
        let report: ReplayReport | undefined;
        for await (const p of replay(store.events(), evolutionReplayEngine(), {
          reEvaluate: opts.reEvaluate === true,
          stopAtFirst: opts.all !== true,
          progressEvery: 5000,
        })) {
          if (p.type === 'progress' && tty)
            process.stderr.write(`\rreplayed ${p.counts.events} events`);
          else if (p.type === 'divergence' && opts.all === true) out.warn(p.divergence.message);
          else if (p.type === 'done') report = p.report;
        }
        if (tty) process.stderr.write('\r\x1b[K');
        const seconds = (performance.now() - started) / 1000;
        printReport(out, report!, seconds);
        out.result({ seconds, ...report!, first: report!.divergences[0] ?? null });
        return report!.ok ? 0 : 1;
      } finally {
        await close();
      }
    },
  );

  action(
    program
      .command('population')
      .description('the survivors of a generation, on the branch the merge rule keeps')
      .option('--run <run>', 'run id or prefix (default: the run started last)')
      .option('--generation <n>', 'generation (default: the last)', int('--generation'))
      .option(
        '--selection <id>',
        'show the population a given selection chose (e.g. a lost branch)',
      ),
    async (out, opts: CommonOptions & { run?: string; generation?: number; selection?: string }) =>
      withProjections(opts.dir, async (store, live) => {
        let pop;
        if (opts.selection !== undefined) {
          const hit = [...live.state.selections.keys()].filter((s) =>
            s.startsWith(opts.selection!),
          );
          if (hit.length !== 1)
            throw new CliError(
              hit.length === 0 ? 'NOT_FOUND' : 'USAGE',
              `selection ${opts.selection} matches ${hit.length} selections`,
            );
          pop = populationOf(live.state, hit[0]!);
        } else {
          pop = populationAt(live.state, await resolveRun(store, live, opts.run), opts.generation);
        }
        out.line(
          `run ${shortId(pop.run)}  generation ${pop.generation}  selection ${shortId(pop.selection)}${pop.kept ? '' : '  (LOST branch)'}`,
        );
        for (const m of pop.members) {
          out.line(
            `  ${shortId(m.genotype)}  fitness ${fmt(m.fitness).padStart(10)}${m.solved ? ' solved' : '       '}  family ${shortId(m.family)}  by ${m.producer === null ? '?' : shortId(m.producer)}`,
          );
        }
        for (const c of pop.competitors) {
          out.line(
            `  competing selection ${shortId(c.selection)} by ${shortId(c.author)} lost (branch best ${fmt(c.score)}, ${c.length} generation(s))`,
          );
        }
        out.result({ ok: true, ...pop });
      }),
  );

  action(
    program
      .command('champion')
      .description('the best genotype of each task in each realm (highest fitness, then ids)')
      .option('--task <task>', 'only this task (id, or id@version)'),
    async (out, opts: CommonOptions & { task?: string }) =>
      withProjections(opts.dir, (_store, live) => {
        const all = championSummaries(live.state);
        const champions =
          opts.task === undefined
            ? all
            : all.filter((c) => c.task === opts.task || c.task.startsWith(`${opts.task}@`));
        if (champions.length === 0)
          out.line(
            opts.task === undefined ? 'no evaluations yet' : `no evaluation of task ${opts.task}`,
          );
        for (const c of champions) {
          out.line(
            `${c.task.padEnd(14)} ${shortId(c.genotype)}  fitness ${fmt(c.fitness)}${c.solved ? ' solved' : ''}  run ${shortId(c.run)}  evaluated by ${shortId(c.author)}  produced by ${c.producer === null ? '?' : shortId(c.producer)}  realm ${shortId(c.realm)}`,
          );
        }
        out.result({ ok: true, champions });
        return Promise.resolve();
      }),
  );

  action(
    program
      .command('runs')
      .description('every run: task, generations, best fitness, evaluations, lost branches'),
    async (out, opts: CommonOptions) =>
      withProjections(opts.dir, (_store, live) => {
        const view = live.view();
        out.line(
          ['run         ', 'task        ', '  gen', '      best', 'evaluations', 'solved'].join(
            '  ',
          ),
        );
        for (const r of view.runs) out.line(runLine(r));
        out.line(`${view.runs.length} run(s), ${view.events} events, ${view.genotypes} genotypes`);
        const contributors = view.credit.filter(
          (c) => c.evaluations + c.mutations + c.selections > 0,
        );
        if (contributors.length > 0) {
          out.line();
          out.line('author        evaluations  mutations  improvements  champions');
          for (const c of contributors) {
            out.line(
              `${shortId(c.author)}  ${String(c.evaluations).padStart(11)}  ${String(c.mutations).padStart(9)}  ${String(c.improvements).padStart(12)}  ${String(c.champions).padStart(9)}`,
            );
          }
        }
        out.result({
          ok: true,
          runs: view.runs.map((r) => ({
            ...r,
            generations: r.generations.length,
            fitness: r.generations.map((g) => g.best),
          })),
          credit: view.credit,
        });
        return Promise.resolve();
      }),
  );
}
