import { encodeCanonical, Identity, sha256, toHex } from '../../crypto/index.js';
import type { EventId, GenotypeId, RealmId } from '../../crypto/index.js';
import { sealBlock } from '../block.js';
import type { ChainHead, SignedBlock } from '../block.js';
import type { EventDraft } from '../event.js';
import { encodeRecord } from '../record.js';

/** Two realms and two authors for store tests. */
export const realmA = 'a1'.repeat(32) as RealmId;
export const realmB = 'b2'.repeat(32) as RealmId;
export const alice = Identity.fromSecret(new Uint8Array(32).fill(1));
export const bob = Identity.fromSecret(new Uint8Array(32).fill(2));
export const runId = 'cc'.repeat(32) as EventId;

/** The `n`th test genotype id: a hash, as real content addresses are (and as incompressible). */
export const genotype = (n: number): GenotypeId =>
  toHex(sha256(new TextEncoder().encode(`genotype ${n}`))) as GenotypeId;

/** A seed event introducing genotype `g`. */
export const seedDraft = (g: number): EventDraft => ({
  kind: 'seed',
  deps: [runId],
  body: { run: runId, genotype: genotype(g), network: { nodes: [0, 1, 2], edges: [[0, 2, 0.5]] } },
});

/** A mutation event from `parent` to `child`. */
export const mutationDraft = (parent: number, child: number, seed = child): EventDraft => ({
  kind: 'mutation',
  deps: [runId],
  body: {
    generation: 1,
    parent: genotype(parent),
    child: genotype(child),
    seed,
    ops: [
      ['add-node', 3, 7, 0.25],
      ['perturb-weights', 0.5],
    ],
  },
});

/** An evaluation of genotype `g`. */
export const evaluationDraft = (g: number, fitness = g / 10): EventDraft => ({
  kind: 'evaluation',
  deps: [runId],
  body: {
    run: runId,
    genotype: genotype(g),
    task: { id: 'xor', version: 1 },
    seed: g,
    fitness,
    cost: 4,
    solved: false,
    evaluations: 1,
  },
});

/** A record of a kind this version does not know. */
export const unknownKindRecord = (): Uint8Array =>
  encodeCanonical({ v: 1, kind: 'future-kind', deps: [], body: { x: 1 } });

/** A record of a known kind in a schema version newer than this code's. */
export const futureVersionRecord = (): Uint8Array =>
  encodeCanonical({ v: 99, kind: 'mutation', deps: [], body: { shape: 'from the future' } });

/** A record of a known kind whose body breaks its schema (the store cannot index it). */
export const invalidRecord = (): Uint8Array =>
  encodeCanonical({ v: 1, kind: 'mutation', deps: [], body: { x: 1 } });

/** Seals successive blocks of one author's chain in one realm. */
export class ChainBuilder {
  #head: ChainHead | undefined;

  constructor(
    readonly identity: Identity,
    readonly realm: RealmId,
    head?: ChainHead,
  ) {
    this.#head = head;
  }

  /** The next block of the chain, holding `drafts` (or raw records). */
  next(items: readonly (EventDraft | Uint8Array)[]): SignedBlock {
    const records = items.map((d) => (d instanceof Uint8Array ? d : encodeRecord(d)));
    const block = sealBlock(this.identity, this.realm, this.#head, records);
    this.#head = {
      realm: this.realm,
      author: this.identity.publicKey,
      seq: block.header.seq,
      id: block.id,
      nextEvent: block.header.first + block.header.count,
    };
    return block;
  }
}
