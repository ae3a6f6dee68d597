import { describe, expect, it } from 'vitest';
import type { BlockId, PublicKey, RealmId } from '../crypto/index.js';
import { DocCache } from './doc-cache.js';
import { docKey } from './doc-key.js';

const realm = 'ab'.repeat(32) as RealmId;
const author = 'cd'.repeat(32) as PublicKey;
const id = (n: number) => n.toString(16).padStart(64, '0') as BlockId;
const entry = (lastSeq: number, bytes: number) => ({
  lastSeq,
  lastId: id(lastSeq),
  heads: [],
  message: new Uint8Array(bytes),
});

describe('document cache', () => {
  it('serves an entry only for the same last block of the bucket', () => {
    const cache = new DocCache(1000);
    cache.put(realm, docKey(author, 0), entry(3, 10));
    expect(cache.get(realm, docKey(author, 0), { lastSeq: 3, lastId: id(3) })).toBeDefined();
    // The bucket grew: the entry is stale and goes.
    expect(cache.get(realm, docKey(author, 0), { lastSeq: 4, lastId: id(4) })).toBeUndefined();
    expect(cache.get(realm, docKey(author, 0), { lastSeq: 3, lastId: id(3) })).toBeUndefined();
    expect(cache.size).toBe(0);
    expect(cache.stats).toEqual({ hits: 1, misses: 2 });
  });

  it('stays within its byte budget, least recently used out first', () => {
    const cache = new DocCache(100);
    for (let b = 0; b < 3; b++) cache.put(realm, docKey(author, b), entry(8 * b + 7, 40));
    expect(cache.bytes).toBe(80);
    expect(cache.get(realm, docKey(author, 0), { lastSeq: 7, lastId: id(7) })).toBeUndefined();
    expect(cache.get(realm, docKey(author, 1), { lastSeq: 15, lastId: id(15) })).toBeDefined();
    cache.put(realm, docKey(author, 3), entry(31, 40));
    // Bucket 1 was used more recently than bucket 2.
    expect(cache.get(realm, docKey(author, 2), { lastSeq: 23, lastId: id(23) })).toBeUndefined();
    expect(cache.get(realm, docKey(author, 1), { lastSeq: 15, lastId: id(15) })).toBeDefined();
    cache.put(realm, docKey(author, 4), entry(39, 101));
    expect(cache.size).toBe(2);
    expect(cache.bytes).toBeLessThanOrEqual(100);
  });

  it('turns a discarded hit into a miss', () => {
    const cache = new DocCache(100);
    cache.put(realm, docKey(author, 0), entry(7, 10));
    expect(cache.get(realm, docKey(author, 0), { lastSeq: 7, lastId: id(7) })).toBeDefined();
    cache.discard(realm, docKey(author, 0));
    expect(cache.size).toBe(0);
    expect(cache.stats).toEqual({ hits: 0, misses: 1 });
  });
});
