import type { EventId, GenotypeId, PublicKey, RealmId } from '../../crypto/index.js';
import type { SignedBlock } from '../block.js';
import type { EventDraft } from '../event.js';
import type { EventQuery, StoredEvent } from '../store.js';
import {
  alice,
  bob,
  ChainBuilder,
  evaluationDraft,
  futureVersionRecord,
  mutationDraft,
  realmA,
  realmB,
  seedDraft,
  unknownKindRecord,
} from './sample-blocks.js';

/**
 * The store suites' sample world: six blocks over two realms and two
 * authors, and what the suites know about each event independently of any
 * store.
 */

/** Collects an async iterable. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** What the suite knows about each sample event, independently of any store. */
export interface Expected {
  readonly id: EventId;
  readonly block: SignedBlock;
  readonly index: number;
  readonly position: number;
  readonly realm: RealmId;
  readonly author: PublicKey;
  readonly kind: string;
  readonly known: boolean;
  readonly genotypes: readonly GenotypeId[];
}

type Item = EventDraft | Uint8Array;

function genotypesOfDraft(item: Item): GenotypeId[] {
  if (item instanceof Uint8Array) return [];
  switch (item.kind) {
    case 'seed':
    case 'evaluation':
      return [item.body.genotype];
    case 'mutation':
      return [item.body.parent, item.body.child];
    default:
      return [];
  }
}

/**
 * Six blocks over two realms and two authors, appended in three calls:
 * seeds, mutations, evaluations, an unknown kind and a future version.
 */
export function sampleWorld() {
  const aliceA = new ChainBuilder(alice, realmA);
  const bobA = new ChainBuilder(bob, realmA);
  const aliceB = new ChainBuilder(alice, realmB);
  const plan: [ChainBuilder, Item[]][] = [
    [aliceA, [seedDraft(1), evaluationDraft(1)]],
    [bobA, [seedDraft(2), mutationDraft(2, 3), evaluationDraft(3)]],
    [aliceA, [mutationDraft(1, 4), mutationDraft(1, 5), evaluationDraft(4), evaluationDraft(5)]],
    [aliceB, [seedDraft(1), evaluationDraft(1, 0.9), unknownKindRecord(), futureVersionRecord()]],
    [bobA, [mutationDraft(3, 6), evaluationDraft(6)]],
    [aliceA, [mutationDraft(4, 7), evaluationDraft(7)]],
  ];
  const blocks: SignedBlock[] = [];
  const expected: Expected[] = [];
  plan.forEach(([chain, items], position) => {
    const block = chain.next(items);
    blocks.push(block);
    items.forEach((item, index) => {
      const unknown = item instanceof Uint8Array;
      expected.push({
        id: block.eventIds[index]!,
        block,
        index,
        position,
        realm: block.header.realm,
        author: block.header.author,
        kind: unknown ? (index === 2 ? 'future-kind' : 'mutation') : item.kind,
        known: !unknown,
        genotypes: genotypesOfDraft(item),
      });
    });
  });
  const batches = [blocks.slice(0, 2), blocks.slice(2, 3), blocks.slice(3)];
  return { blocks, expected, batches, aliceA, bobA, aliceB };
}

export function select(expected: readonly Expected[], q: EventQuery): EventId[] {
  return expected
    .filter(
      (e) =>
        (q.realm === undefined || e.realm === q.realm) &&
        (q.kind === undefined || e.kind === q.kind) &&
        (q.author === undefined || e.author === q.author) &&
        (q.genotype === undefined || e.genotypes.includes(q.genotype)),
    )
    .map((e) => e.id);
}

/** A plain Uint8Array copy: Buffers and views compare equal to it by value. */
export const plain = (bytes: Uint8Array | undefined) =>
  bytes === undefined ? undefined : new Uint8Array(bytes);

export const ids = (events: readonly StoredEvent[]) => events.map((e) => e.id);
