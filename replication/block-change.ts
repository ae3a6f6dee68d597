import { fromHex, sha256 } from '../crypto/index.js';

/** The first bytes of every Automerge chunk. */
const MAGIC = [0x85, 0x6f, 0x4a, 0x83];
/** Chunk type of a change. */
const CHANGE = 0x01;
const utf8 = new TextEncoder();

/** Unsigned LEB128, as Automerge writes lengths and counts. */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return out;
}

/**
 * The bytes of the Automerge change that puts `bytes` at key `key` of an
 * empty document's root, made by actor `actor` (16 bytes, hex) with
 * timestamp 0 and no dependencies: exactly what Automerge's own
 * `put` and `commit(null, 0)` on a fresh document give (a test holds the
 * two together for many keys and lengths), written here so that the block's
 * bytes are hashed once, natively, where a fresh Automerge document hashes
 * them twice in WebAssembly to make and encode the change. (A document
 * applying the change still hashes them once more: Automerge checks a
 * change's hash on every way in.)
 *
 * The layout is the change chunk of Automerge's binary format: magic,
 * checksum (the first 4 bytes of the sha256 of what follows it, which is
 * the change hash), chunk type, length, then the change: no dependencies,
 * the actor, seq 1, start op 1, time 0, no message, no other actors, and
 * one op in six columns (key string, insert, action, value metadata, value,
 * predecessor count), each column a run-length literal of one value.
 */
export function putChange(actor: string, key: string, bytes: Uint8Array): Uint8Array {
  const keyBytes = utf8.encode(key);
  const keyColumn = [0x7f, ...uleb(keyBytes.byteLength)];
  // Value metadata: the length, and type 7 (bytes), in the low four bits.
  const metaColumn = [0x7f, ...uleb(bytes.byteLength * 16 + 7)];
  const head = [
    0x00, // dependencies
    0x10,
    ...fromHex(actor),
    0x01, // seq
    0x01, // start op
    0x00, // time
    0x00, // message
    0x00, // other actors
    0x06, // op columns
    0x15,
    ...uleb(keyColumn.length + keyBytes.byteLength),
    0x34,
    0x01,
    0x42,
    0x02,
    0x56,
    ...uleb(metaColumn.length),
    0x57,
    ...uleb(bytes.byteLength),
    0x70,
    0x02,
    ...keyColumn,
    ...keyBytes,
    0x01, // insert: one false
    0x7f, // action: one literal, set
    0x01,
    ...metaColumn,
  ];
  const tail = [0x7f, 0x00]; // predecessors: one literal, none
  const bodyLength = head.length + bytes.byteLength + tail.length;
  const lead = [CHANGE, ...uleb(bodyLength)];
  const out = new Uint8Array(MAGIC.length + 4 + lead.length + bodyLength);
  out.set(MAGIC, 0);
  let at = MAGIC.length + 4;
  out.set(lead, at);
  at += lead.length;
  out.set(head, at);
  at += head.length;
  out.set(bytes, at);
  out.set(tail, at + bytes.byteLength);
  out.set(sha256(out.subarray(MAGIC.length + 4)).subarray(0, 4), MAGIC.length);
  return out;
}
