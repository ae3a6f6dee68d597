import * as v from 'valibot';
import { unexpectedShape } from '../../crypto/index.js';
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
  readTrusted: (r) => {
    r.map(3);
    r.key('run');
    const run = r.id<EventId>();
    r.key('network');
    const network = r.value();
    // A map, as the schema's `plain` gives it back unchanged; anything else is left to the schema.
    if (
      network === null ||
      typeof network !== 'object' ||
      Array.isArray(network) ||
      network instanceof Uint8Array
    )
      unexpectedShape();
    r.key('genotype');
    const genotype = r.id<GenotypeId>();
    return { run, genotype, network: network as Record<string, unknown> };
  },
  genotypes: (b) => [b.genotype],
});
