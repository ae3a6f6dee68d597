import fc from 'fast-check';
import { Level } from 'level';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../ledger/__fixtures__/level-dirs.js';
import { IdRuns, mergeEntries, RUN_ENTRY, sortEntries } from '../ledger/level-id-runs.js';
import { fcParams } from './fc.js';

/**
 * Model-based: whatever entries arrive, in whatever writes, with runs merged
 * along the way, a store reopened at any point, and writes cut short by a
 * crash before or after their batch landed, every id's lookup gives exactly
 * the values written for it (a map is the model).
 */

const newDir = tempDirs('id-runs');
const TABLE = 0x45;

type Db = Level<Uint8Array, Uint8Array>;

/**
 * Ids that share their first 32 bits (the sort's numeric key) and their
 * Bloom probes often, and repeat, so ties, chunk boundaries and
 * multi-valued ids are all exercised.
 */
const shapedId = fc
  .tuple(
    fc.integer({ min: 0, max: 3 }),
    fc.integer({ min: 0, max: 40 }),
    fc.uint8Array({ minLength: 23, maxLength: 23 }),
  )
  .map(([prefix, middle, rest]) => {
    const id = Buffer.alloc(32);
    id.writeUInt32BE(prefix * 0x1000_0000, 0);
    id.writeUInt32BE(middle, 4);
    id.set(rest, 9);
    return id;
  });
/** A few ids written again and again: their entries span chunks and runs. */
const repeated = Array.from({ length: 4 }, (_, i) => {
  const id = Buffer.alloc(32, 0x11 * (i + 1));
  id.writeUInt32BE(i * 0x1000_0000, 0);
  return id;
});
const idArb = fc.oneof(shapedId, fc.constantFrom(...repeated));

const writeArb = fc.array(idArb, { minLength: 0, maxLength: 300, size: 'max' });

type Step =
  | { op: 'write'; ids: Buffer[] }
  | { op: 'reopen' }
  | { op: 'crash-before' | 'crash-after'; ids: Buffer[] };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 12, arbitrary: writeArb.map((ids) => ({ op: 'write' as const, ids })) },
  { weight: 1, arbitrary: fc.constant({ op: 'reopen' as const }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('crash-before' as const, 'crash-after' as const), writeArb)
      .map(([op, ids]) => ({ op, ids })),
  },
);

function entriesOf(ids: readonly Buffer[], serial: number): Buffer {
  const out = Buffer.alloc(ids.length * RUN_ENTRY);
  ids.forEach((id, i) => {
    id.copy(out, i * RUN_ENTRY);
    out.writeUInt32BE(serial, i * RUN_ENTRY + 32);
    out.writeUInt32BE(i, i * RUN_ENTRY + 36);
    out.writeUInt16BE(i & 0xffff, i * RUN_ENTRY + 40);
  });
  return out;
}

/** Runs capped small, so that the cap on merges is met too. */
async function open(dir: string): Promise<{ db: Db; runs: IdRuns }> {
  const db: Db = new Level<Uint8Array, Uint8Array>(dir, {
    keyEncoding: 'view',
    valueEncoding: 'view',
  });
  await db.open();
  return { db, runs: await IdRuns.open(db, TABLE, { maxRunEntries: 4000 }) };
}

function lookup(runs: IdRuns, id: Buffer): string[] {
  const values: string[] = [];
  runs.lookupNow(id, (v) => values.push(v.toString('hex')));
  return values.sort();
}

describe('the event index runs', () => {
  it('answer every lookup as a map of everything written does, across merges, reopens and crashes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(stepArb, { minLength: 10, maxLength: 90, size: 'max' }),
        async (steps) => {
          const dir = await newDir();
          let { db, runs } = await open(dir);
          const model = new Map<string, string[]>();
          const record = (entries: Buffer) => {
            for (let i = 0; i < entries.byteLength / RUN_ENTRY; i++) {
              const e = entries.subarray(i * RUN_ENTRY, (i + 1) * RUN_ENTRY);
              const key = e.subarray(0, 32).toString('hex');
              model.set(key, [...(model.get(key) ?? []), e.subarray(32).toString('hex')]);
            }
          };
          try {
            for (const [serial, step] of steps.entries()) {
              if (step.op === 'reopen') {
                await db.close();
                ({ db, runs } = await open(dir));
                continue;
              }
              const entries = entriesOf(step.ids, serial);
              const write = await runs.write(entries);
              if (step.op === 'crash-before') {
                // Prepared, never written: nothing of it may show after a restart.
                await db.close();
                ({ db, runs } = await open(dir));
                continue;
              }
              const batch = db.batch();
              write.apply(batch);
              await batch.write();
              record(entries);
              if (step.op === 'crash-after') {
                // Landed, but the process died before it learnt so.
                await db.close();
                ({ db, runs } = await open(dir));
                continue;
              }
              write.commit();
            }
            // One more write deletes what merges retired: the chunks left are the live runs'.
            const last = await runs.write(Buffer.alloc(0));
            const batch = db.batch();
            last.apply(batch);
            await batch.write();
            last.commit();
            let stored = 0;
            const chunkKeys = Buffer.from([TABLE, 0x02]);
            for await (const _ of db.keys({ gte: chunkKeys, lt: Buffer.from([TABLE, 0x03]) }))
              stored++;
            expect(stored).toBe(runs.chunks);
            for (const [key, values] of model) {
              expect(lookup(runs, Buffer.from(key, 'hex'))).toEqual([...values].sort());
            }
            // Absent ids next to present ones find nothing.
            for (const key of [...model.keys()].slice(0, 50)) {
              const near = Buffer.from(key, 'hex');
              near.writeUInt8(near.readUInt8(31) ^ 0x01, 31);
              if (!model.has(near.toString('hex'))) expect(lookup(runs, near)).toEqual([]);
            }
          } finally {
            await db.close();
          }
        },
      ),
      fcParams({ numRuns: 12 }),
    );
  }, 120_000);

  it('merge runs: eight writes leave one run, sixty-four one run more, and runs at the cap stay apart', async () => {
    const { db, runs } = await open(await newDir());
    const write = async (w: number) => {
      const ids = Array.from({ length: 10 }, (_, i) => {
        const id = Buffer.alloc(32);
        id.writeUInt32BE(w * 1000 + i * 7919, 0);
        return id;
      });
      const staged = await runs.write(entriesOf(ids, w));
      const batch = db.batch();
      staged.apply(batch);
      await batch.write();
      staged.commit();
    };
    try {
      for (let w = 0; w < 8; w++) await write(w);
      expect(runs.runs).toBe(1);
      // 64 writes: eight level-1 runs merged into one of level 2.
      for (let w = 8; w < 64; w++) await write(w);
      expect(runs.runs).toBe(1);
      // Eight level-2 runs of 640 entries would make one of 5,120: over the cap of 4,000.
      for (let w = 64; w < 512; w++) await write(w);
      expect(runs.runs).toBe(8);
    } finally {
      await db.close();
    }
  });

  it('sort and merge order entries by id, then value', () => {
    fc.assert(
      fc.property(fc.array(fc.array(idArb, { maxLength: 60 }), { maxLength: 5 }), (groups) => {
        const sorted = groups.map((ids, g) => sortEntries(entriesOf(ids, g)));
        const merged = mergeEntries(sorted);
        const all = sorted.flatMap((b) =>
          Array.from({ length: b.byteLength / RUN_ENTRY }, (_, i) =>
            b.subarray(i * RUN_ENTRY, (i + 1) * RUN_ENTRY).toString('hex'),
          ),
        );
        const expected = [...all].sort();
        const got = Array.from({ length: merged.byteLength / RUN_ENTRY }, (_, i) =>
          merged.subarray(i * RUN_ENTRY, (i + 1) * RUN_ENTRY).toString('hex'),
        );
        expect(got).toEqual(expected);
        for (const b of sorted) {
          const rows = Array.from({ length: b.byteLength / RUN_ENTRY }, (_, i) =>
            b.subarray(i * RUN_ENTRY, (i + 1) * RUN_ENTRY).toString('hex'),
          );
          expect(rows).toEqual([...rows].sort());
        }
      }),
      fcParams({ numRuns: 100 }),
    );
  });
});
