import type { GenotypeId } from '../crypto/index.js';
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
