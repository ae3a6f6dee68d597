import { availableParallelism } from 'node:os';
import type { EventId, GenotypeId } from '../crypto/index.js';
import {
  createWorkerPool,
  defaultConfig,
  evolve,
  getTask,
  inlineEvaluator,
  loadTaskModule,
  mergeConfig,
  restore,
} from '../evolution/index.js';
import type {
  ConfigOverrides,
  EngineState,
  Evaluator,
  Progress,
  RecordedEvent,
  Task,
} from '../evolution/index.js';
import type { EventSink } from '../ledger/index.js';
import { isKind } from '../ledger/index.js';
import type { Context } from './context.js';
import { CliError } from './errors.js';

/** What `evoledger evolve` (and a node's `--evolve`) is asked to do. */
export interface EvolveRequest {
  readonly task: string;
  readonly taskModule?: string;
  readonly seed: number;
  readonly overrides?: ConfigOverrides;
  /** Worker threads; 0 evaluates inline. Default: one per core. */
  readonly workers?: number;
  /** Continue the latest run of this task in the store (or the run with this id). */
  readonly resume?: boolean | EventId;
  /** Discard events instead of writing them (for measuring the ledger's cost). */
  readonly discard?: boolean;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: Progress) => void;
}

/** The summary `evolve --json` prints. */
export interface EvolveSummary {
  readonly task: string;
  readonly seed: number;
  readonly run: EventId;
  readonly solved: boolean;
  readonly evaluations: number;
  readonly generations: number;
  readonly champion: { readonly genotypeId: GenotypeId; readonly fitness: number };
  readonly events: number;
  readonly stopped: string;
  readonly wallMs: number;
}

/** Resolves a task id or a task module. */
export async function resolveTask(id: string, modulePath?: string): Promise<Task> {
  if (modulePath !== undefined) return loadTaskModule(modulePath);
  return getTask(id);
}

/** A sink that numbers events but keeps nothing: the baseline for the ledger's cost. */
export function discardSink(): EventSink {
  let n = 0;
  return {
    emit() {
      n++;
      return n.toString(16).padStart(64, '0') as EventId;
    },
  };
}

/**
 * The events of one run, in log order: its run event, then every event that
 * names it (seeds, evaluations, selections) or descends from one of its
 * events through the first dep (mutations do not repeat the run id).
 */
async function runEvents(ctx: Context, run: EventId): Promise<RecordedEvent[]> {
  const members = new Set<EventId>([run]);
  const out: RecordedEvent[] = [];
  for await (const e of ctx.ledger.store.events({
    realm: ctx.config.realm,
    author: ctx.identity.publicKey,
  })) {
    const body = e.body as { run?: unknown } | null;
    const belongs =
      e.id === run ||
      (typeof body === 'object' && body !== null && body.run === run) ||
      (isKind(e, 'mutation') && e.deps[0] !== undefined && members.has(e.deps[0]));
    if (!belongs) continue;
    members.add(e.id);
    out.push({ id: e.id, kind: e.kind, deps: e.deps, body: e.body });
  }
  return out;
}

async function findRun(ctx: Context, task: string, which: true | EventId): Promise<EventId> {
  if (which !== true) return which;
  let latest: EventId | undefined;
  for await (const e of ctx.ledger.store.events({
    realm: ctx.config.realm,
    kind: 'run',
    author: ctx.identity.publicKey,
  })) {
    if (isKind(e, 'run') && e.body.task.id === task) latest = e.id;
  }
  if (latest === undefined) {
    throw new CliError(
      'NOT_FOUND',
      `no run of task "${task}" to resume in ${ctx.dir}; start one without --resume`,
    );
  }
  return latest;
}

/** Runs (or resumes) an evolution, recording every event in the context's ledger. */
export async function runEvolution(ctx: Context, request: EvolveRequest): Promise<EvolveSummary> {
  const started = performance.now();
  const task = await resolveTask(request.task, request.taskModule);
  let resume: EngineState | undefined;
  if (request.resume) {
    const run = await findRun(ctx, task.id, request.resume);
    resume = restore(await runEvents(ctx, run));
  }
  const config = mergeConfig(defaultConfig(task.id), request.overrides ?? {});
  const workers = request.workers ?? availableParallelism();
  const evaluator: Evaluator = workers > 0 ? createWorkerPool({ workers }) : inlineEvaluator();
  const writer = request.discard
    ? undefined
    : await ctx.ledger.writer(ctx.identity, ctx.config.realm);
  const sink = writer ?? discardSink();
  // The writer is shared by everything writing this chain: count this run's events only.
  const emittedBefore = writer?.emitted ?? 0;
  let last: Progress | undefined;
  try {
    for await (const p of evolve({
      task,
      config,
      seed: request.seed,
      sink,
      evaluator,
      ...(request.signal ? { signal: request.signal } : {}),
      ...(resume ? { resume } : {}),
    })) {
      last = p;
      request.onProgress?.(p);
      // Backpressure: never let sealed blocks pile up beyond a generation.
      await writer?.settle(16);
    }
  } finally {
    await evaluator.close();
    await writer?.flush();
  }
  if (last === undefined) throw new CliError('USAGE', 'the run produced no generation');
  return {
    task: task.id,
    seed: request.seed,
    run: last.run,
    solved: last.solved,
    evaluations: last.evaluations,
    generations: last.generation + 1,
    champion: { genotypeId: last.champion.genotype, fitness: last.champion.fitness },
    events: writer === undefined ? last.events : writer.emitted - emittedBefore,
    stopped: last.stopped ?? 'aborted',
    wallMs: Math.round(performance.now() - started),
  };
}
