import {
  ENGINE,
  applyOps,
  compile,
  fromCanonical,
  genotypeId,
  getTask,
  scalarFitness,
  selectGeneration,
  validateConfig,
} from '../evolution/index.js';
import type { EngineConfig, Genotype, Member } from '../evolution/index.js';
import type { ReplayEngine } from './replay-engine.js';

/**
 * The evoledger TWEANN engine's pure parts as a {@link ReplayEngine}: seed
 * parsing and content addressing, recorded operators, selection of a
 * generation from its recorded candidates, and the built-in deterministic
 * tasks for re-evaluation.
 */
export function evolutionReplayEngine(): ReplayEngine {
  return {
    name: ENGINE,
    // Same engine family, any version: replay proves or refutes them all.
    accepts: (engine) => engine.split('/')[0] === ENGINE.split('/')[0],
    scalar: scalarFitness,
    fromSeed(network) {
      const g = fromCanonical(network);
      return { id: genotypeId(g), network: g };
    },
    applyOps(parent, ops) {
      const child = applyOps(parent as Genotype, ops);
      return { id: genotypeId(child), network: child };
    },
    select(input) {
      if (input.run === undefined) return undefined;
      let config: EngineConfig;
      try {
        config = validateConfig(input.run.config as unknown as EngineConfig);
      } catch {
        return undefined; // a configuration this engine does not know: nothing to re-run
      }
      const members: Member[] = [];
      for (const c of input.considered) {
        const network = input.networkOf(c.genotype) as Genotype | undefined;
        if (network === undefined) return undefined;
        members.push({
          id: c.genotype,
          network,
          origin: c.event,
          evaluation: c.event,
          fitness: scalarFitness(c.fitness),
          solved: c.solved,
        });
      }
      if (members.length === 0) return undefined;
      const result = selectGeneration(config, input.run.seed, input.generation, members);
      return { survivors: result.survivors.map((i) => members[i]!.id), species: result.species };
    },
    evaluate(task, network, seed, run) {
      const params = task.params ?? (run?.task.id === task.id ? run.task.params : {});
      let t;
      try {
        t = getTask(task.id, params);
      } catch {
        return undefined; // not a built-in task: cannot re-run here
      }
      if (t.version !== task.version) return undefined;
      return { fitness: t.evaluate(compile(network as Genotype), seed).fitness };
    },
  };
}
