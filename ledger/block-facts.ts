import type { EventId, GenotypeId } from '../crypto/index.js';
import { blockEvents } from './block.js';
import type { SignedBlock } from './block.js';
import { LedgerError } from './errors.js';
import { genotypesOf } from './event-index.js';
import type { EventOf, LedgerEvent } from './event.js';
import { isKind } from './event.js';

/** An event that changes who may write to a realm: the validator needs its body. */
export type RealmEvent = EventOf<'genesis'> | EventOf<'membership'>;

const isRealmEvent = (e: LedgerEvent): e is RealmEvent =>
  isKind(e, 'genesis') || isKind(e, 'membership');

/**
 * What the validator and the store's indexes need of a block's events, in
 * flat arrays: each event's id and kind, the ids it depends on, the
 * genotypes it names, and the few events that change a realm's membership,
 * whole.
 *
 * A block's events as objects are ~2.5 kB each of short-lived heap. Kept
 * from admission until the block is durable (an fsync later), they outlived
 * the young generation, and the garbage collector copied and promoted every
 * one of them; their facts are a few strings and numbers an event, and the
 * objects die young.
 */
export class BlockFacts {
  /** Each event's id. */
  readonly ids: EventId[] = [];
  /** Each event's kind. */
  readonly kinds: string[] = [];
  /** Every event's deps, one after another; event i's end at `depEnds[i]`. */
  readonly deps: EventId[] = [];
  readonly depEnds: number[] = [];
  /** Every event's genotypes (those its kind names), one after another; event i's end at `genotypeEnds[i]`. */
  readonly genotypes: GenotypeId[] = [];
  readonly genotypeEnds: number[] = [];
  /** The block's genesis and membership events, in block order. */
  readonly realmEvents: RealmEvent[] = [];

  /** The facts of decoded events. */
  static of(events: readonly LedgerEvent[]): BlockFacts {
    const facts = new BlockFacts();
    for (const e of events) {
      facts.add(e.id, e.kind, e.deps, genotypesOf(e), isRealmEvent(e) ? e : undefined);
    }
    return facts;
  }

  /** Number of events. */
  get count(): number {
    return this.ids.length;
  }

  /** Adds the next event's facts (`realmEvent`: the event itself, when it is a genesis or membership). */
  add(
    id: EventId,
    kind: string,
    deps: readonly EventId[],
    genotypes: readonly GenotypeId[],
    realmEvent?: RealmEvent,
  ): void {
    this.ids.push(id);
    this.kinds.push(kind);
    for (let i = 0; i < deps.length; i++) this.deps.push(deps[i]!);
    this.depEnds.push(this.deps.length);
    for (let i = 0; i < genotypes.length; i++) this.genotypes.push(genotypes[i]!);
    this.genotypeEnds.push(this.genotypes.length);
    if (realmEvent !== undefined) this.realmEvents.push(realmEvent);
  }
}

/**
 * The facts of `block`'s events: `given` when the caller (the validator)
 * has them, checked to be this block's, or else decoded here (which throws
 * `SCHEMA_VIOLATION` for a body that does not match its kind).
 */
export function factsOfBlock(block: SignedBlock, given: BlockFacts | undefined): BlockFacts {
  if (given === undefined) return BlockFacts.of(blockEvents(block));
  const ids = block.eventIds;
  if (
    given.ids !== ids &&
    (given.count !== ids.length || given.ids.some((id, i) => id !== ids[i]))
  ) {
    throw new LedgerError(
      'SCHEMA_VIOLATION',
      `the event facts given with block ${block.id} are not that block's events`,
    );
  }
  return given;
}
