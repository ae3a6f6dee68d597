import { encode } from 'cborg';
import { describe, expect, it } from 'vitest';
import type { BlockId, PublicKey, RealmId } from '../crypto/index.js';
import { docKey } from './doc-key.js';
import { ReplicationError } from './errors.js';
import { decodeMessage, encodeMessage } from './messages.js';
import type { WireMessage } from './messages.js';

const id = (c: string) => c.repeat(64) as RealmId;

describe('sync protocol messages', () => {
  it('round-trip', () => {
    const messages: WireMessage[] = [
      {
        type: 'hello',
        realm: id('a'),
        manifest: [
          { author: id('b') as string as PublicKey, seq: 3, id: id('c') as string as BlockId },
        ],
      },
      {
        type: 'sync',
        docs: [[docKey(id('d') as string as PublicKey, 2), new Uint8Array([1, 2])]],
        more: true,
      },
      { type: 'idle', sent: 3, received: 0, more: false },
      { type: 'end' },
      { type: 'end', code: 'RATE_LIMITED' },
    ];
    for (const m of messages) expect(decodeMessage(encodeMessage(m))).toEqual(m);
  });

  it('refuse malformed frames with PROTOCOL_VIOLATION', () => {
    const bad = [
      new Uint8Array([0xff]),
      encode({ t: 'hello', realm: new Uint8Array(3), heads: [] }),
      encode({ t: 'sync', docs: [['not-a-key', new Uint8Array(1)]], more: false }),
      encode({ t: 'idle', sent: -1, received: 0, more: false }),
      encode({ t: 'nope' }),
    ];
    for (const b of bad) {
      expect(() => decodeMessage(b)).toThrow(ReplicationError);
      try {
        decodeMessage(b);
      } catch (err) {
        expect((err as ReplicationError).code).toBe('PROTOCOL_VIOLATION');
      }
    }
  });
});
