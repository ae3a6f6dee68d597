import { decode, encode } from 'cborg';
import { idFromBytes, idToBytes } from '../crypto/index.js';
import type { BlockId, PublicKey, RealmId } from '../crypto/index.js';
import { parseDocKey } from './doc-key.js';
import type { DocKey } from './doc-key.js';
import { ReplicationError } from './errors.js';
import type { ChainSummary } from './manifest.js';

/** Version of the sync protocol's messages (the libp2p protocol id carries the major). */
export const SYNC_PROTOCOL = '/evoledger/sync/2.0.0';

/** Opens a session: which realm, and the sender's manifest. */
export interface HelloMessage {
  readonly type: 'hello';
  readonly realm: RealmId;
  readonly manifest: readonly ChainSummary[];
}

/** Automerge sync messages, one per document (a document mentioned first by the peer joins the session). */
export interface SyncMessage {
  readonly type: 'sync';
  readonly docs: readonly (readonly [DocKey, Uint8Array])[];
  /** The sender has more differing documents than one session carries. */
  readonly more: boolean;
}

/**
 * The sender has nothing to say for now: it sent `sent` sync frames and
 * applied the `received` first sync frames of the peer. When both sides'
 * last idle messages match each other's counts, nothing is in flight and
 * the exchange is over.
 */
export interface IdleMessage {
  readonly type: 'idle';
  readonly sent: number;
  readonly received: number;
  /** As in {@link SyncMessage}. */
  readonly more: boolean;
}

/** The last frame of each side once the exchange is over, or a responder's refusal with a stable code. */
export interface EndMessage {
  readonly type: 'end';
  readonly code?: string;
}

/** Every message of the sync protocol. */
export type WireMessage = HelloMessage | SyncMessage | IdleMessage | EndMessage;

/** Guards, automerge-repo style. */
export const isHello = (m: WireMessage): m is HelloMessage => m.type === 'hello';
/** True for a {@link SyncMessage}. */
export const isSync = (m: WireMessage): m is SyncMessage => m.type === 'sync';
/** True for an {@link IdleMessage}. */
export const isIdle = (m: WireMessage): m is IdleMessage => m.type === 'idle';
/** True for an {@link EndMessage}. */
export const isEnd = (m: WireMessage): m is EndMessage => m.type === 'end';

/** Encodes a message for one frame. */
export function encodeMessage(m: WireMessage): Uint8Array {
  switch (m.type) {
    case 'hello':
      return encode({
        t: 'hello',
        realm: idToBytes(m.realm),
        heads: m.manifest.map((c) => [idToBytes(c.author), c.seq, idToBytes(c.id)]),
      });
    case 'sync':
      return encode({
        t: 'sync',
        docs: m.docs.map(([k, b]) => [k, b]),
        more: m.more,
      });
    case 'idle':
      return encode({ t: 'idle', sent: m.sent, received: m.received, more: m.more });
    case 'end':
      return encode(m.code === undefined ? { t: 'end' } : { t: 'end', code: m.code });
  }
}

function violation(message: string): never {
  throw new ReplicationError('PROTOCOL_VIOLATION', message);
}

const isId = (x: unknown): x is Uint8Array => x instanceof Uint8Array && x.byteLength === 32;
const isUint = (x: unknown): x is number =>
  typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

/** Decodes one frame; throws `PROTOCOL_VIOLATION` for anything that is not a well-formed message. */
export function decodeMessage(bytes: Uint8Array): WireMessage {
  let raw: unknown;
  try {
    raw = decode(bytes);
  } catch (err) {
    violation(`frame does not decode: ${(err as Error).message}`);
  }
  if (raw === null || typeof raw !== 'object') violation('frame is not a map');
  const m = raw as Record<string, unknown>;
  switch (m.t) {
    case 'hello': {
      if (!isId(m.realm) || !Array.isArray(m.heads)) violation('malformed hello');
      const manifest = (m.heads as unknown[]).map((h) => {
        if (!Array.isArray(h) || h.length !== 3 || !isId(h[0]) || !isUint(h[1]) || !isId(h[2])) {
          violation('malformed chain head in hello');
        }
        return {
          author: idFromBytes<PublicKey>(h[0]),
          seq: h[1],
          id: idFromBytes<BlockId>(h[2]),
        };
      });
      return { type: 'hello', realm: idFromBytes<RealmId>(m.realm), manifest };
    }
    case 'sync': {
      if (!Array.isArray(m.docs) || typeof m.more !== 'boolean') {
        violation('malformed sync');
      }
      const docs = (m.docs as unknown[]).map((d) => {
        if (
          !Array.isArray(d) ||
          d.length !== 2 ||
          parseDocKey(d[0]) === undefined ||
          !(d[1] instanceof Uint8Array)
        ) {
          violation('malformed document message');
        }
        return [d[0] as DocKey, d[1]] as const;
      });
      return { type: 'sync', docs, more: m.more };
    }
    case 'idle':
      if (!isUint(m.sent) || !isUint(m.received) || typeof m.more !== 'boolean') {
        violation('malformed idle');
      }
      return { type: 'idle', sent: m.sent, received: m.received, more: m.more };
    case 'end':
      if (m.code !== undefined && typeof m.code !== 'string') violation('malformed end');
      return m.code === undefined ? { type: 'end' } : { type: 'end', code: m.code };
    default:
      violation(`unknown message type ${String(m.t)}`);
  }
}
