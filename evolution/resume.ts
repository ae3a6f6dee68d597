import type { EventId, GenotypeId } from '../crypto/index.js';
import { validateConfig } from './config.js';
import type { EngineConfig } from './config.js';
import { selectGeneration } from './engine.js';
import { better, nextStall } from './engine-state.js';
import type { EngineState, Member, Stall } from './engine-state.js';
import { EvolutionError } from './errors.js';
import type {
  EvaluationBody,
  MutationBody,
  RecordedEvent,
  RunBody,
  SeedBody,
  SelectionBody,
} from './events.js';
import { fromCanonical, genotypeId } from './genotype.js';
import type { Genotype } from './genotype.js';
import { replayMutation } from './mutation.js';
import type { SelectionResult } from './selection.js';
import { scalarFitness } from './tasks/task.js';

function fail(why: string): never {
  throw new EvolutionError('INVALID_RESUME', `cannot resume: ${why}`);
}

/**
 * Rebuilds the engine state of a run from its events in ledger order, by
 * replay: seed networks are parsed, every mutation is re-applied (its child
 * id must match, `REPLAY_MISMATCH` otherwise), and every selection is
 * recomputed over the candidates the engine had (survivors of the previous
 * selection, then the generation's evaluations in order) and checked against
 * the recorded survivors. The state is the one after the last selection
 * event; events after it (a generation cut short by a crash) are ignored and
 * will be produced again, identically, by `evolve({ resume })`.
 */
export function restore(events: Iterable<RecordedEvent>): EngineState {
  let run: EventId | null = null;
  let runBody: RunBody | null = null;
  let config: EngineConfig | null = null;
  const genotypes = new Map<GenotypeId, Genotype>();
  const introducedBy = new Map<GenotypeId, EventId>();
  let carried: Member[] = [];
  let fresh: Member[] = [];
  let evaluations = 0;
  let pending = 0;
  let champion: Member | null = null;
  let restarted = false;
  let selections = 0;
  let stall: Stall = { best: Number.NEGATIVE_INFINITY, since: 0 };
  let last: {
    generation: number;
    id: EventId;
    population: Member[];
    selection: SelectionResult;
    evaluations: number;
    champion: Member;
    stall: Stall;
  } | null = null;

  for (const e of events) {
    if (e.kind === 'run') {
      if (run !== null) continue; // another run's events are not ours
      run = e.id;
      runBody = e.body as RunBody;
      config = validateConfig(runBody.config as unknown as EngineConfig);
      continue;
    }
    if (run === null) continue;
    // Mutation bodies do not name their run (the ledger saves the bytes): they belong to it when their parent does.
    if (
      e.kind === 'mutation'
        ? !genotypes.has((e.body as MutationBody).parent)
        : (e.body as { run?: unknown }).run !== run
    )
      continue;
    switch (e.kind) {
      case 'seed': {
        const b = e.body as SeedBody;
        const g = fromCanonical(b.network);
        if (genotypeId(g) !== b.genotype)
          throw new EvolutionError(
            'REPLAY_MISMATCH',
            `seed ${e.id} network does not hash to ${b.genotype}`,
          );
        genotypes.set(b.genotype, g);
        introducedBy.set(b.genotype, e.id);
        if (selections > 0) restarted = true; // seed networks after generation 0: a restart
        break;
      }
      case 'mutation': {
        const b = e.body as MutationBody;
        const parent =
          genotypes.get(b.parent) ?? fail(`mutation ${e.id} names unknown parent ${b.parent}`);
        genotypes.set(b.child, replayMutation(parent, b.ops, b.child));
        introducedBy.set(b.child, e.id);
        break;
      }
      case 'evaluation': {
        const b = e.body as EvaluationBody;
        const network =
          genotypes.get(b.genotype) ??
          fail(`evaluation ${e.id} names unknown genotype ${b.genotype}`);
        const origin =
          e.deps?.[0] ?? introducedBy.get(b.genotype) ?? fail(`no origin for ${b.genotype}`);
        const m: Member = {
          network,
          id: b.genotype,
          origin,
          evaluation: e.id,
          fitness: scalarFitness(b.fitness),
          solved: b.solved,
        };
        fresh.push(m);
        pending += b.evaluations;
        if (champion === null || better(m, champion)) champion = m;
        break;
      }
      case 'selection': {
        const b = e.body as SelectionBody;
        const population = restarted ? fresh : [...carried, ...fresh];
        const sel = selectGeneration(
          config as EngineConfig,
          runBody?.seed as number,
          b.generation,
          population,
        );
        const survivors = sel.survivors.map((i) => (population[i] as Member).id);
        if (
          survivors.length !== b.survivors.length ||
          survivors.some((s, i) => s !== b.survivors[i])
        ) {
          throw new EvolutionError(
            'REPLAY_MISMATCH',
            `selection ${e.id} (generation ${b.generation}) does not replay`,
          );
        }
        evaluations += pending;
        pending = 0;
        carried = sel.survivors.map((i) => population[i] as Member);
        fresh = [];
        stall = nextStall(stall, population, restarted, (config as EngineConfig).stagnationEpsilon);
        restarted = false;
        selections++;
        last = {
          generation: b.generation,
          id: e.id,
          population,
          selection: sel,
          evaluations,
          champion: champion as Member,
          stall,
        };
        break;
      }
      default:
        break; // other kinds are not the engine's business
    }
  }
  if (run === null || runBody === null || config === null) fail('no run event');
  if (last === null) fail('the run has no selection event yet (nothing to continue from)');
  return {
    run,
    task: { id: runBody.task.id, version: runBody.task.version, params: runBody.task.params },
    seed: runBody.seed,
    config,
    generation: last.generation,
    population: last.population,
    selection: last.selection,
    previous: last.id,
    evaluations: last.evaluations,
    champion: last.champion,
    stall: last.stall,
  };
}
