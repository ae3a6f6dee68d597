import * as v from 'valibot';
import type { PublicKey } from '../../crypto/index.js';
import { defineKind } from './kind.js';
import { idBytes, wireId } from './wire.js';

/** An admin admits or removes a key. */
export interface MembershipBody {
  readonly action: 'add' | 'remove';
  readonly member: PublicKey;
  readonly role: 'member' | 'admin';
}

/** Codec of `membership` events; only an admin's membership events take effect. */
export const membershipKind = defineKind({
  kind: 'membership',
  version: 1,
  schema: v.object({
    action: v.picklist(['add', 'remove']),
    member: wireId<PublicKey>(),
    role: v.picklist(['member', 'admin']),
  }),
  encode: (b: MembershipBody) => ({ role: b.role, action: b.action, member: idBytes(b.member) }),
});
