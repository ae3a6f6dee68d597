import type { GenotypeId } from '../crypto/index.js';
import { blockEvents } from './block.js';
import type { SignedBlock } from './block.js';
import { LedgerError } from './errors.js';
import type { LedgerEvent } from './event.js';
import { codecOf } from './kinds/registry.js';
import type { EventQuery } from './store.js';

const none: readonly GenotypeId[] = [];

/**
 * The genotype ids an event names, for the genotype index: what its kind's
 * codec reports. Events of unknown kinds or future versions name none.
 */
export function genotypesOf(event: LedgerEvent): readonly GenotypeId[] {
  if (!event.known) return none;
  return codecOf(event.kind)?.genotypes(event.body) ?? none;
}

/** True when `event` matches every field given in `query`. */
export function matchesQuery(event: LedgerEvent, query: EventQuery): boolean {
  return (
    (query.realm === undefined || event.realm === query.realm) &&
    (query.kind === undefined || event.kind === query.kind) &&
    (query.author === undefined || event.author === query.author) &&
    (query.genotype === undefined || genotypesOf(event).includes(query.genotype))
  );
}

/**
 * The events of `block`: `decoded` when the caller (the validator) already
 * has them, checked to be this block's events, or else decoded here (which
 * throws `SCHEMA_VIOLATION` for a body that does not match its kind).
 */
export function eventsOfBlock(
  block: SignedBlock,
  decoded: readonly LedgerEvent[] | undefined,
): readonly LedgerEvent[] {
  if (decoded === undefined) return blockEvents(block);
  const ids = block.eventIds;
  if (decoded.length !== ids.length || decoded.some((e, i) => e.id !== ids[i])) {
    throw new LedgerError(
      'SCHEMA_VIOLATION',
      `the decoded events given with block ${block.id} are not that block's events`,
    );
  }
  return decoded;
}
