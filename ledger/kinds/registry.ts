import type { KindCodec } from './kind.js';
import { evaluationKind } from './evaluation.js';
import { evidenceKind } from './evidence.js';
import { genesisKind } from './genesis.js';
import { membershipKind } from './membership.js';
import { mutationKind } from './mutation.js';
import { runKind } from './run.js';
import { seedKind } from './seed.js';
import { selectionKind } from './selection.js';

/** Every kind this version of evoledger understands. Unknown kinds are kept as they are. */
export const kinds = {
  genesis: genesisKind,
  membership: membershipKind,
  run: runKind,
  seed: seedKind,
  mutation: mutationKind,
  evaluation: evaluationKind,
  selection: selectionKind,
  evidence: evidenceKind,
} as const;

type Kinds = typeof kinds;

/** Names of the kinds this version understands. */
export type KnownKind = keyof Kinds;

/** The in-memory body of kind `K`. */
export type BodyOf<K extends KnownKind> = Kinds[K] extends KindCodec<K, infer B> ? B : never;

/** The codec of `kind`, or undefined for a kind this version does not know. */
export function codecOf(kind: string): KindCodec<string, unknown> | undefined {
  return Object.hasOwn(kinds, kind) ? kinds[kind as KnownKind] : undefined;
}
