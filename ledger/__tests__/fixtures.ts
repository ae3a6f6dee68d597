import { encodeCanonical, Identity, sha256, toHex } from '../../crypto/index.js';
import type { EventId, GenotypeId } from '../../crypto/index.js';
import type { EventDraft } from '../event.js';

/** A deterministic identity for tests: the secret is sha256 of the name. */
export function testIdentity(name: string): Identity {
  return Identity.fromSecret(sha256(new TextEncoder().encode(name)));
}

/** A fake genotype id derived from a label. */
export function gid(label: string | number): GenotypeId {
  return toHex(sha256(new TextEncoder().encode(`genotype:${label}`))) as GenotypeId;
}

/** A realistic mutation draft. */
export function mutationDraft(parentEvent: EventId, i: number): EventDraft {
  return {
    kind: 'mutation',
    deps: [parentEvent],
    body: {
      generation: i >> 4,
      parent: gid(i - 1),
      child: gid(i),
      seed: (i * 2654435761) >>> 0,
      ops: [
        ['add_neuron', 3, 7, Math.fround(0.51)],
        ['mutate_weights', Math.fround(0.33)],
      ],
    },
  };
}

/** A realistic evaluation draft. */
export function evaluationDraft(run: EventId, genotypeEvent: EventId, i: number): EventDraft {
  return {
    kind: 'evaluation',
    deps: [genotypeEvent],
    body: {
      run,
      genotype: gid(i),
      task: { id: 'xor', version: 1 },
      seed: i,
      fitness: 3.5 + i / 1000,
      cost: 4,
      solved: false,
      evaluations: 1,
    },
  };
}

/** A run draft. */
export function runDraft(seed = 1): EventDraft {
  return {
    kind: 'run',
    deps: [],
    body: {
      task: { id: 'xor', version: 1, params: {} },
      seed,
      config: { population: 50 },
      engine: 'test/1',
    },
  };
}

/** Record bytes of a kind this version does not know. */
export function futureRecord(): Uint8Array {
  return encodeCanonical({
    v: 1,
    kind: 'future-kind',
    deps: [],
    body: { x: 1, note: 'kept as is' },
  });
}
