import type { EventId, GenotypeId } from '../crypto/index.js';
import { defaultConfig, validateConfig } from './config.js';
import type { EngineConfig } from './config.js';
import { better, nextStall } from './engine-state.js';
import { EvolutionError } from './errors.js';
import type { EngineState, Member, Stall } from './engine-state.js';
import { ENGINE } from './events.js';
import type { EvaluationBody, MutationBody, RunBody, SeedBody, SelectionBody } from './events.js';
import { inlineEvaluator } from './evaluator.js';
import type { Evaluator } from './evaluator.js';
import { genotypeId, toCanonical } from './genotype.js';
import type { Genotype } from './genotype.js';
import { applyOps, drawMutation } from './mutation.js';
import type { AppliedOp } from './operator.js';
import { deriveSeed, Rng } from './random.js';
import { select } from './selection.js';
import type { SelectionResult } from './selection.js';
import { seedNetwork } from './seed-network.js';
import type { EventDraft, EventSink } from './sink.js';
import type { Task } from './tasks/task.js';
import { scalarFitness } from './tasks/task.js';
import { tuningOp } from './tuning.js';
import type { DevelopJob, DevelopResult } from './tuning.js';

/** Why a run stopped. */
export type StopReason = 'solved' | 'max-evaluations' | 'max-generations' | 'aborted';

/** Progress reported after every generation. */
export interface Progress {
  readonly run: EventId;
  readonly generation: number;
  /** Fitness evaluations so far, tuning included. */
  readonly evaluations: number;
  /** Best fitness ever. */
  readonly best: number;
  readonly species: number;
  readonly solved: boolean;
  readonly champion: {
    readonly genotype: GenotypeId;
    readonly fitness: number;
    readonly network: Genotype;
  };
  /** Events emitted by this call so far. */
  readonly events: number;
  /** Set on the last progress of the run. */
  readonly stopped?: StopReason;
}

/** Options of {@link evolve}. */
export interface EvolveOptions {
  readonly task: Task;
  /** Full engine configuration (default: `defaultConfig(task.id)`). Ignored when resuming. */
  readonly config?: EngineConfig;
  /** Run seed (uint32). Ignored when resuming. */
  readonly seed: number;
  readonly sink: EventSink;
  /** Where evaluation runs (default: inline on this thread). */
  readonly evaluator?: Evaluator;
  /** Stops after the current generation, its events complete. */
  readonly signal?: AbortSignal;
  /** Continue a run from `restore(events)` instead of starting one. */
  readonly resume?: EngineState;
}

/** Keep/offspring split of a configuration. */
export function generationShape(config: EngineConfig): { keep: number; offspring: number } {
  const offspring =
    config.strategy === 'steady-state' ? config.batch : config.population - config.selection.keep;
  return { keep: config.population - offspring, offspring };
}

/** The selection of generation `generation` over `population` (pure; replay calls it too). */
export function selectGeneration(
  config: EngineConfig,
  seed: number,
  generation: number,
  population: readonly Member[],
): SelectionResult {
  return select(
    config.selection.method,
    population.map((m) => ({ genotype: m.id, network: m.network, fitness: m.fitness })),
    { ...config.selection, ...generationShape(config) },
    new Rng(seed, 'selection', generation),
  );
}

/**
 * Runs neuroevolution and emits every step as an event through `sink`, in a
 * deterministic order: run; per generation-0 member: seed, [mutation holding
 * its tuning], evaluation; per later offspring: mutation, evaluation; and a
 * selection event closing each generation. When the population's best
 * fitness has not improved for `config.stagnation` generations, the next
 * generation is a fresh set of seed networks (a restart; the champion is kept
 * in the ledger, not in the population). Stops on a solve (the generation
 * is cut right after the solving member, then closed), on `maxEvaluations`
 * (cut the same way), on `maxGenerations`, or on abort (after the current
 * generation). Yields a {@link Progress} after each generation.
 */
export async function* evolve(options: EvolveOptions): AsyncGenerator<Progress, void, undefined> {
  const { task, sink, signal } = options;
  const evaluator = options.evaluator ?? inlineEvaluator();
  const config = validateConfig(options.resume?.config ?? options.config ?? defaultConfig(task.id));
  const seed = (options.resume?.seed ?? options.seed) >>> 0;
  let events = 0;
  const emit = (draft: EventDraft): EventId => {
    events++;
    return sink.emit(draft);
  };

  let run: EventId;
  let evaluations: number;
  let generation: number;
  let population: Member[];
  let previous: EventId | null;
  let champion: Member | null;
  let selection: SelectionResult;

  const close = (g: number, members: Member[]): SelectionResult => {
    const sel = selectGeneration(config, seed, g, members);
    const body: SelectionBody = {
      run,
      generation: g,
      previous,
      survivors: sel.survivors.map((i) => (members[i] as Member).id),
      method: config.selection.method,
      best: champion === null ? 0 : champion.fitness,
    };
    previous = emit({ kind: 'selection', deps: members.map((m) => m.evaluation), body });
    return sel;
  };

  const progress = (g: number, species: number, stopped?: StopReason): Progress => {
    const c = champion as Member;
    return {
      run,
      generation: g,
      evaluations,
      best: c.fitness,
      species,
      solved: c.solved,
      champion: { genotype: c.id, fitness: c.fitness, network: c.network },
      events,
      ...(stopped === undefined ? {} : { stopped }),
    };
  };

  /** Emits a member's mutation (if any) and evaluation; returns the member. */
  const record = (
    g: number,
    parent: { network: Genotype; id: GenotypeId; origin: EventId },
    drawn: readonly AppliedOp[],
    drawSeed: number,
    job: DevelopJob,
    r: DevelopResult,
  ): Member => {
    const tune = tuningOp(job, r);
    const ops = tune === null ? drawn : [...drawn, tune];
    let network = parent.network;
    let origin = parent.origin;
    if (ops.length > 0) {
      network = tune === null ? job.genotype : applyOps(job.genotype, [tune]);
      const body: MutationBody = {
        generation: g,
        parent: parent.id,
        child: genotypeId(network),
        seed: drawSeed,
        ops,
      };
      origin = emit({ kind: 'mutation', deps: [parent.origin], body });
    }
    const id = genotypeId(network);
    const ev: EvaluationBody = {
      run,
      genotype: id,
      task: { id: task.id, version: task.version },
      seed: job.evalSeed,
      fitness: r.fitness,
      cost: r.cost,
      solved: r.solved,
      evaluations: r.evaluations,
    };
    const evaluation = emit({ kind: 'evaluation', deps: [origin], body: ev });
    evaluations += r.evaluations;
    const m: Member = {
      network,
      id,
      origin,
      evaluation,
      fitness: scalarFitness(r.fitness),
      solved: r.solved,
    };
    if (champion === null || better(m, champion)) champion = m;
    return m;
  };

  const stopAfter = (m: Member): StopReason | null =>
    m.solved ? 'solved' : evaluations >= config.maxEvaluations ? 'max-evaluations' : null;

  let stopped: StopReason | null = null;
  let stall: Stall = { best: Number.NEGATIVE_INFINITY, since: 0 };

  /** A generation of fresh seed networks (generation 0, and restarts after stagnation). */
  const seedGeneration = async (g: number): Promise<Member[]> => {
    const evalSeed = deriveSeed(seed, 'evaluation', g);
    const rngOf = (k: number): Rng =>
      g === 0 ? new Rng(seed, 'seed', k) : new Rng(seed, 'seed', g, k);
    const seeds = Array.from({ length: config.population }, (_, k) =>
      seedNetwork(task.sensors, task.actuators, config.seedNetwork, rngOf(k)),
    );
    const jobs: DevelopJob[] = seeds.map((net, k) => ({
      genotype: net,
      evalSeed,
      tuneSeed: deriveSeed(seed, 'tune', g, k),
      tuning: config.tuning.tuneSeeds ? config.tuning : null,
    }));
    const results = await evaluator.develop(task, jobs);
    const members: Member[] = [];
    for (let k = 0; k < seeds.length; k++) {
      const net = seeds[k] as Genotype;
      const id = genotypeId(net);
      const seedBody: SeedBody = {
        run,
        genotype: id,
        network: toCanonical(net) as unknown as Readonly<Record<string, unknown>>,
      };
      const origin = emit({ kind: 'seed', deps: [run], body: seedBody });
      const job = jobs[k] as DevelopJob;
      const m = record(
        g,
        { network: net, id, origin },
        [],
        job.tuneSeed,
        job,
        results[k] as DevelopResult,
      );
      members.push(m);
      stopped = stopAfter(m);
      if (stopped !== null) break;
    }
    return members;
  };

  /** Offspring of the current selection. */
  const breed = async (g: number): Promise<Member[]> => {
    const evalSeed = deriveSeed(seed, 'evaluation', g);
    const drawn = selection.parents.map(([p], k) => {
      const parent = population[p] as Member;
      const drawSeed = deriveSeed(seed, 'mutation', g, k);
      const { ops, child } = drawMutation(parent.network, drawSeed, config.mutation);
      const job: DevelopJob = {
        genotype: child,
        evalSeed,
        tuneSeed: deriveSeed(drawSeed, 'tune'),
        tuning: config.tuning,
      };
      return { parent, drawSeed, ops, job };
    });
    const results = await evaluator.develop(
      task,
      drawn.map((d) => d.job),
    );
    const next: Member[] = selection.survivors.map((i) => population[i] as Member);
    for (let k = 0; k < drawn.length; k++) {
      const d = drawn[k] as (typeof drawn)[number];
      const m = record(g, d.parent, d.ops, d.drawSeed, d.job, results[k] as DevelopResult);
      next.push(m);
      stopped = stopAfter(m);
      if (stopped !== null) break;
    }
    return next;
  };

  try {
    if (options.resume !== undefined) {
      const s = options.resume;
      if (s.task.id !== task.id || s.task.version !== task.version) {
        throw new EvolutionError(
          'INVALID_RESUME',
          `the run evolves ${s.task.id} v${s.task.version}, not ${task.id} v${task.version}`,
        );
      }
      run = s.run;
      evaluations = s.evaluations;
      generation = s.generation;
      population = s.population.slice();
      previous = s.previous;
      champion = s.champion;
      selection = s.selection;
      stall = s.stall;
      if (champion.solved) {
        yield progress(generation, selection.species, 'solved');
        return;
      }
    } else {
      const runBody: RunBody = {
        task: { id: task.id, version: task.version, params: task.params },
        seed,
        config: config as unknown as Readonly<Record<string, unknown>>,
        engine: ENGINE,
      };
      run = emit({ kind: 'run', deps: [], body: runBody });
      evaluations = 0;
      generation = 0;
      previous = null;
      champion = null;
      population = await seedGeneration(0);
      selection = close(0, population);
      stall = nextStall(stall, population, false, config.stagnationEpsilon);
      if (stopped === null && (signal?.aborted ?? false)) stopped = 'aborted';
      if (stopped === null && config.maxGenerations <= 1) stopped = 'max-generations';
      yield progress(0, selection.species, stopped ?? undefined);
      if (stopped !== null) return;
    }

    for (;;) {
      generation++;
      const g = generation;
      const restart = config.stagnation > 0 && stall.since >= config.stagnation;
      population = restart ? await seedGeneration(g) : await breed(g);
      selection = close(g, population);
      stall = nextStall(stall, population, restart, config.stagnationEpsilon);
      if (stopped === null && (signal?.aborted ?? false)) stopped = 'aborted';
      if (stopped === null && g + 1 >= config.maxGenerations) stopped = 'max-generations';
      yield progress(g, selection.species, stopped ?? undefined);
      if (stopped !== null) return;
    }
  } finally {
    if (options.evaluator === undefined) await evaluator.close();
  }
}
