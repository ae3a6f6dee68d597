import { encodeCanonical, idToBytes, taggedHash, toHex } from '../crypto/index.js';
import type { BlockId, PublicKey, RealmId } from '../crypto/index.js';
import type { EventStore } from '../ledger/index.js';
import { bucketOf, docKey } from './doc-key.js';
import type { DocKey } from './doc-key.js';

/** Where one author's chain stands: it names the heads of all of that author's documents. */
export interface ChainSummary {
  readonly author: PublicKey;
  readonly seq: number;
  readonly id: BlockId;
}

/**
 * A realm's manifest: every chain head, sorted by author. Because documents
 * are pure functions of the blocks they hold and a store only holds chain
 * prefixes, two nodes' documents for `(author, bucket)` have the same heads
 * exactly when the chain heads agree on that bucket: the manifest stands
 * for the heads of every document without building one.
 */
export type Manifest = readonly ChainSummary[];

/** The manifest of `realm` in `store`. */
export async function readManifest(store: EventStore, realm: RealmId): Promise<ChainSummary[]> {
  const out: ChainSummary[] = [];
  for await (const h of store.heads(realm)) out.push({ author: h.author, seq: h.seq, id: h.id });
  return out.sort((a, b) => (a.author < b.author ? -1 : a.author > b.author ? 1 : 0));
}

/** A short digest of a manifest, announced on gossip: equal digests, nothing to sync. */
export function manifestDigest(realm: RealmId, manifest: Manifest): string {
  const body = manifest.map((c) => [idToBytes(c.author), c.seq, idToBytes(c.id)]);
  return toHex(
    taggedHash('evoledger/replication/manifest/v1', idToBytes(realm), encodeCanonical(body)),
  ).slice(0, 32);
}

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

/**
 * The documents whose heads differ between our manifest and a peer's, lowest
 * buckets first (chains are admitted in order). `heldAt` looks up our block
 * at a seq: when our chain is longer and does not contain the peer's head, the
 * author forked, and every bucket up to the longer head is synced so that
 * both blocks meet (and become evidence).
 */
export async function docsToSync(
  local: Manifest,
  remote: Manifest,
  heldAt: (author: PublicKey, seq: number) => Promise<BlockId | undefined>,
): Promise<DocKey[]> {
  const ours = new Map(local.map((c) => [c.author, c]));
  const theirs = new Map(remote.map((c) => [c.author, c]));
  const authors = [...new Set([...ours.keys(), ...theirs.keys()])];
  const wanted: { author: PublicKey; bucket: number }[] = [];
  for (const author of authors) {
    const l = ours.get(author);
    const r = theirs.get(author);
    let buckets: number[];
    if (l === undefined || r === undefined) {
      buckets = range(0, bucketOf((l ?? r)!.seq));
    } else if (l.seq === r.seq) {
      if (l.id === r.id) continue;
      buckets = range(0, bucketOf(l.seq));
    } else {
      const [lo, hi] = l.seq < r.seq ? [l, r] : [r, l];
      const forked = l.seq > r.seq && (await heldAt(author, r.seq)) !== r.id;
      buckets = range(forked ? 0 : bucketOf(lo.seq), bucketOf(hi.seq));
    }
    for (const bucket of buckets) wanted.push({ author, bucket });
  }
  wanted.sort(
    (a, b) => a.bucket - b.bucket || (a.author < b.author ? -1 : a.author > b.author ? 1 : 0),
  );
  return wanted.map((w) => docKey(w.author, w.bucket));
}
