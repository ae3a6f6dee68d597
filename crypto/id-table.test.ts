import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fcParams } from '../property-tests/fc.js';
import { IdTable } from './id-table.js';

/** 32-byte ids, some sharing their first bytes so that slot hashes collide as often as they can. */
const id = fc
  .tuple(
    fc.constantFrom('0000000000000000', 'ffffffffffffffff', 'a1b2c3d4e5f60718'),
    fc.uint8Array({ minLength: 24, maxLength: 24 }),
  )
  .map(([head, tail]) => head + Buffer.from(tail).toString('hex'));

describe('IdTable', () => {
  it('numbers ids as a map from hex to first-seen order does, and gives each back', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(id, fc.constant('7'.repeat(64))), { maxLength: 3000 }),
        (ids) => {
          const table = new IdTable();
          const model = new Map<string, number>();
          for (const hex of ids) {
            if (!model.has(hex)) model.set(hex, model.size);
            const bytes = Buffer.concat([randomBytes(5), Buffer.from(hex, 'hex')]);
            expect(table.intern(bytes, 5)).toBe(model.get(hex));
          }
          expect(table.size).toBe(model.size);
          for (const [hex, h] of model) {
            expect(table.findHex(hex)).toBe(h);
            expect(table.hex(h)).toBe(hex);
          }
          const handles = [...model.values()];
          for (let i = 1; i < handles.length; i++) {
            const [a, b] = [handles[i - 1]!, handles[i]!];
            const [x, y] = [table.hex(a), table.hex(b)];
            expect(Math.sign(table.compareHandles(a, b))).toBe(x < y ? -1 : x > y ? 1 : 0);
          }
        },
      ),
      fcParams({ numRuns: 30 }),
    );
  });

  it('finds nothing for ids it does not hold or strings that are not ids', () => {
    const table = new IdTable();
    const held = 'ab'.repeat(32);
    table.internHex(held);
    expect(table.findHex('cd'.repeat(32))).toBe(-1);
    expect(table.findHex(held.toUpperCase())).toBe(-1);
    expect(table.findHex(held.slice(2))).toBe(-1);
    expect(table.hexOrNull(-1)).toBeNull();
    expect(() => table.internHex('run')).toThrow(RangeError);
  });
});
