import { describe, expect, it } from 'vitest';
import type { SignedBlock } from './block.js';
import type { EventDraft } from './event.js';
import {
  BlockHead,
  BlockPart,
  frameBlock,
  storedBlock,
  PART_EVENTS,
  partOf,
} from './level-block-frame.js';
import {
  alice,
  ChainBuilder,
  evaluationDraft,
  genotype,
  mutationDraft,
  realmA,
  runId,
  unknownKindRecord,
} from './__fixtures__/sample-blocks.js';

const plain = (b: Uint8Array) => new Uint8Array(b);

/** Events whose records have every CBOR head size: < 24, < 256, < 65,536 and larger. */
function mixed(n: number): (EventDraft | Uint8Array)[] {
  const seed = (g: number, size: number): EventDraft => ({
    kind: 'seed',
    deps: [],
    body: { run: runId, genotype: genotype(g), network: { weights: new Uint8Array(size).fill(7) } },
  });
  return Array.from({ length: n }, (_, i) =>
    i % 7 === 3
      ? seed(i, 300)
      : i === 5
        ? seed(i, 70_000)
        : i % 5 === 1
          ? unknownKindRecord()
          : i % 2 === 0
            ? mutationDraft(i, i + 1)
            : evaluationDraft(i),
  );
}

/** Stores `block` and reads it back value by value, as the level store does. */
function stored(block: SignedBlock, position = 7) {
  const [headValue, ...partValues] = frameBlock(block);
  const head = new BlockHead(position, headValue!);
  const parts = partValues.map((v, k) => new BlockPart(position, k + 1, v));
  return { head, parts, partValues };
}

/** Every event of a stored block, read from the part that holds it alone. */
function expectEveryEvent(block: SignedBlock, parts: readonly BlockPart[]) {
  block.records.forEach((record, i) => {
    const part = parts[partOf(i) - 1]!;
    expect(plain(part.record(i - part.from))).toEqual(plain(record));
    expect(part.eventId(i - part.from)).toBe(block.eventIds[i]);
  });
}

describe('block frame', () => {
  const chain = new ChainBuilder(alice, realmA);
  chain.next([evaluationDraft(0)]);

  it('keeps a block of many events as a head and parts of PART_EVENTS events', () => {
    const count = 2 * PART_EVENTS + 6;
    const block = chain.next(mixed(count));
    const { head, parts } = stored(block);
    expect([head.id, head.realm, head.author, head.first, head.count, head.parts]).toEqual([
      block.id,
      block.header.realm,
      block.header.author,
      block.header.first,
      count,
      3,
    ]);
    expect(parts.map((p) => [p.from, p.size])).toEqual([
      [0, PART_EVENTS],
      [PART_EVENTS, PART_EVENTS],
      [2 * PART_EVENTS, 6],
    ]);
    expectEveryEvent(block, parts);
    const joined = storedBlock(head, parts);
    expect(plain(joined.bytes)).toEqual(plain(block.bytes));
    expect(joined.id).toBe(block.id);
    expect(joined.eventIds).toEqual(block.eventIds);
  });

  it('keeps a block of one event, and blocks at the edge of a part', () => {
    for (const count of [1, PART_EVENTS, PART_EVENTS + 1]) {
      const block = chain.next(mixed(count));
      const { head, parts } = stored(block);
      expect(head.parts).toBe(Math.ceil(count / PART_EVENTS));
      expectEveryEvent(block, parts);
      expect(plain(storedBlock(head, parts).bytes)).toEqual(plain(block.bytes));
    }
  });

  it('stores a block whole when its records are not where expected', () => {
    const block = chain.next(mixed(40));
    const odd = { ...block, records: block.records.map((r) => plain(r).reverse()) };
    const { head, parts } = stored(odd);
    expect([head.parts, parts.length]).toEqual([0, 0]);
    // Records come from decoding the stored bytes.
    expect(head.whole.records.map(plain)).toEqual(block.records.map(plain));
    expect(plain(storedBlock(head, []).bytes)).toEqual(plain(block.bytes));
  });

  it('reports a damaged head or part with a code, never reads past it', () => {
    const block = chain.next(mixed(PART_EVENTS + 3));
    const [headValue, ...partValues] = frameBlock(block);
    const head = new BlockHead(3, headValue!);
    expect(() => new BlockHead(3, headValue!.subarray(0, 50))).toThrow(
      expect.objectContaining({ code: 'SCHEMA_VIOLATION' }),
    );
    const truncated = partValues[0]!.subarray(0, partValues[0]!.byteLength - 1);
    expect(() => new BlockPart(3, 1, truncated)).toThrow(
      expect.objectContaining({ code: 'SCHEMA_VIOLATION' }),
    );
    // A part stored under another part's number holds the wrong count of events.
    expect(() => new BlockPart(3, 2, partValues[0]!)).toThrow(
      expect.objectContaining({ code: 'SCHEMA_VIOLATION' }),
    );
    expect(() => storedBlock(head, [new BlockPart(3, 1, partValues[0]!)])).toThrow(
      expect.objectContaining({ code: 'SCHEMA_VIOLATION' }),
    );
    // A head cut inside its part roots; a proof asked with a part of another block.
    expect(() => new BlockHead(3, headValue!.subarray(0, 32 * 3 + 8 + 4 + 2 + 40))).toThrow(
      expect.objectContaining({ code: 'SCHEMA_VIOLATION' }),
    );
    const other = frameBlock(chain.next(mixed(PART_EVENTS + 3)))[1]!;
    expect(() => head.proof(new BlockPart(3, 1, other), 0)).toThrow(
      expect.objectContaining({ code: 'SCHEMA_VIOLATION' }),
    );
  });
});
