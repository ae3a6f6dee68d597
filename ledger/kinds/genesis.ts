import * as v from 'valibot';
import type { PublicKey } from '../../crypto/index.js';
import { defineKind } from './kind.js';
import { idBytes, wireId } from './wire.js';

/** The first event of a realm: its name, its admins, and whether it is open to anyone. */
export interface GenesisBody {
  readonly name: string;
  readonly admins: readonly PublicKey[];
  /** Open realms accept any valid signature; closed ones, members only. */
  readonly open: boolean;
  /** Distinguishes two realms created with the same name and admins. */
  readonly nonce: number;
}

/** Codec of `genesis` events. The realm id is the tagged hash of this body's wire bytes. */
export const genesisKind = defineKind({
  kind: 'genesis',
  version: 1,
  schema: v.object({
    name: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
    admins: v.pipe(v.array(wireId<PublicKey>()), v.minLength(1)),
    open: v.boolean(),
    nonce: v.pipe(v.number(), v.integer(), v.minValue(0)),
  }),
  encode: (b: GenesisBody) => ({
    name: b.name,
    open: b.open,
    nonce: b.nonce,
    admins: b.admins.map(idBytes),
  }),
});
