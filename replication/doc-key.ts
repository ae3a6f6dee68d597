import { isIdHex } from '../crypto/index.js';
import type { PublicKey } from '../crypto/index.js';
import { BLOCKS_PER_DOC } from './limits.js';

/**
 * Names one document of a realm: the blocks `[bucket·N, (bucket+1)·N)` of one
 * author's chain, N = {@link BLOCKS_PER_DOC}. Written `author/bucket`.
 */
export type DocKey = string & { readonly __docKey: true };

/** The key of `author`'s document `bucket`. */
export function docKey(author: PublicKey, bucket: number): DocKey {
  return `${author}/${bucket}` as DocKey;
}

/** The bucket holding block `seq`. */
export function bucketOf(seq: number): number {
  return Math.floor(seq / BLOCKS_PER_DOC);
}

/** Splits a key into author and bucket; `undefined` for anything malformed (input from peers). */
export function parseDocKey(value: unknown): { author: PublicKey; bucket: number } | undefined {
  if (typeof value !== 'string' || value.length > 80) return undefined;
  const slash = value.indexOf('/');
  const author = value.slice(0, slash);
  const bucketText = value.slice(slash + 1);
  if (slash !== 64 || !isIdHex(author) || !/^(0|[1-9][0-9]{0,9})$/.test(bucketText))
    return undefined;
  return { author: author as PublicKey, bucket: Number(bucketText) };
}
