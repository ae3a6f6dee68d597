import * as v from 'valibot';
import type { EventId, GenotypeId } from '../../crypto/index.js';
import { defineKind } from './kind.js';
import { idBytes, plain, wireId } from './wire.js';

/** A genotype entering a run without a parent, carried in full. */
export interface SeedBody {
  readonly run: EventId;
  readonly genotype: GenotypeId;
  /** The canonical genotype; its content address must equal `genotype`. */
  readonly network: Readonly<Record<string, unknown>>;
}

/** Codec of `seed` events. */
export const seedKind = defineKind({
  kind: 'seed',
  version: 1,
  schema: v.object({ run: wireId<EventId>(), genotype: wireId<GenotypeId>(), network: plain }),
  encode: (b: SeedBody) => ({
    run: idBytes(b.run),
    network: b.network,
    genotype: idBytes(b.genotype),
  }),
  genotypes: (b) => [b.genotype],
});
