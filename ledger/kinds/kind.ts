import * as v from 'valibot';
import type { CborReader, CborWriter, GenotypeId } from '../../crypto/index.js';
import { LedgerError } from '../errors.js';

/**
 * What every event kind provides: its wire schema, the conversion both ways,
 * and the genotypes it mentions (for the genotype index). Adding a kind is
 * adding a file that exports one of these and listing it in `registry.ts`.
 */
export interface KindCodec<K extends string, B> {
  readonly kind: K;
  /** Current schema version written by this code. */
  readonly version: number;
  /** Validates a decoded wire body of version `version` (upgrading older ones) through the schema. */
  decode(wire: unknown, version: number): B;
  /**
   * The kind's fast path for untrusted current-version records, if it has
   * one: whether the schema takes a body that {@link readTrusted} read in
   * place (which checked canonical form, layout and the types it reads)
   * alike. It checks what reading does not: ranges, lengths, and values
   * read as any CBOR item. Kinds verified in bulk have one.
   */
  admits?(body: B): boolean;
  /** The wire form of a body (ids as raw bytes). */
  encode(body: B): unknown;
  /**
   * Writes the body's canonical wire bytes straight, with no wire object in
   * between: the same bytes as encoding {@link encode}'s result (a property
   * test holds each kind to it). Kinds written in bulk have one.
   */
  write?(body: B, w: CborWriter): void;
  /** Genotype ids the body names, for the genotype index. */
  genotypes(body: B): GenotypeId[];
  /**
   * Converts a current-version wire body that was validated when it entered
   * the store (ids to hex) without validating it again. Kinds read in bulk
   * give a fast path; the others validate.
   */
  fromTrusted(wire: unknown): B;
  /**
   * Reads a current-version body validated when it entered the store
   * straight from its canonical bytes (what {@link fromTrusted} gives, with
   * no wire object in between), or throws `UnexpectedShape` for a layout it
   * does not handle (the caller then decodes the wire object). Kinds read in
   * bulk have one; a test holds each to {@link decode}.
   */
  readonly readTrusted?: (r: CborReader) => B;
}

/** Builds a codec from a valibot schema whose output is the in-memory body. */
export function defineKind<K extends string, B>(spec: {
  kind: K;
  version: number;
  schema: v.GenericSchema<unknown, NoInfer<B>>;
  encode: (body: B) => unknown;
  /** See {@link KindCodec.write}. */
  write?: (body: B, w: CborWriter) => void;
  genotypes?: (body: B) => GenotypeId[];
  /** Fast conversion of an already validated wire body (see {@link KindCodec.fromTrusted}). */
  fromTrusted?: (wire: never) => NoInfer<B>;
  /**
   * See {@link KindCodec.admits}. It must admit nothing the schema refuses
   * (property-tested in `fast-paths.prop.test.ts`); what it does not admit,
   * the schema decides and reports.
   */
  admits?: (body: NoInfer<B>) => boolean;
  /** See {@link KindCodec.readTrusted}. */
  readTrusted?: (r: CborReader) => NoInfer<B>;
  /** Upgrades a wire body of an older version to the current wire form. */
  migrate?: (wire: unknown, fromVersion: number) => unknown;
}): KindCodec<K, B> {
  const codec: KindCodec<K, B> = {
    kind: spec.kind,
    version: spec.version,
    decode(wire, version) {
      const current = version < spec.version && spec.migrate ? spec.migrate(wire, version) : wire;
      const result = v.safeParse(spec.schema, current);
      if (!result.success) {
        const issue = result.issues[0];
        const path = issue.path?.map((p) => String(p.key)).join('.') ?? '';
        throw new LedgerError(
          'SCHEMA_VIOLATION',
          `${spec.kind} v${version}: ${path ? path + ': ' : ''}${issue.message}`,
        );
      }
      return result.output;
    },
    ...(spec.admits === undefined ? {} : { admits: spec.admits }),
    ...(spec.write === undefined ? {} : { write: spec.write }),
    ...(spec.readTrusted === undefined ? {} : { readTrusted: spec.readTrusted }),
    encode: spec.encode,
    genotypes: spec.genotypes ?? (() => []),
    fromTrusted:
      (spec.fromTrusted as ((wire: unknown) => B) | undefined) ??
      ((wire) => codec.decode(wire, spec.version)),
  };
  return codec;
}
