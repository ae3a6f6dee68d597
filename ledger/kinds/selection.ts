import * as v from 'valibot';
import type { EventId, GenotypeId } from '../../crypto/index.js';
import { defineKind } from './kind.js';
import { finite, hexId, idBytes, maybeIdBytes, uint, wireId } from './wire.js';

/**
 * The survivors of a generation. The evaluations considered are the event's
 * deps; `previous` links generations, so two selections with the same
 * `previous` are competing branches (the projection keeps the fitter one).
 */
export interface SelectionBody {
  readonly run: EventId;
  readonly generation: number;
  readonly previous: EventId | null;
  readonly survivors: readonly GenotypeId[];
  readonly method: string;
  /** Best fitness among the evaluations considered. */
  readonly best: number;
}

/** Codec of `selection` events. */
export const selectionKind = defineKind({
  kind: 'selection',
  version: 1,
  schema: v.object({
    run: wireId<EventId>(),
    generation: uint,
    previous: v.nullable(wireId<EventId>()),
    survivors: v.array(wireId<GenotypeId>()),
    method: v.pipe(v.string(), v.maxLength(100)),
    best: finite,
  }),
  // Reading checked everything else (ids, `generation`, `best` finite, the layout).
  admits: (b) => b.method.length <= 100,
  encode: (b: SelectionBody) => ({
    run: idBytes(b.run),
    best: b.best,
    method: b.method,
    previous: maybeIdBytes(b.previous),
    survivors: b.survivors.map(idBytes),
    generation: b.generation,
  }),
  write: (b, w) => {
    w.map(6);
    w.text('run');
    w.hexBytes(b.run, 32);
    w.text('best');
    w.number(b.best);
    w.text('method');
    w.text(b.method);
    w.text('previous');
    if (b.previous === null) w.null();
    else w.hexBytes(b.previous, 32);
    w.text('survivors');
    w.array(b.survivors.length);
    for (const s of b.survivors) w.hexBytes(s, 32);
    w.text('generation');
    w.number(b.generation);
  },
  fromTrusted: (
    w: { run: Uint8Array; previous: Uint8Array | null; survivors: Uint8Array[] } & Pick<
      SelectionBody,
      'generation' | 'method' | 'best'
    >,
  ) => ({
    run: hexId<EventId>(w.run),
    generation: w.generation,
    previous: w.previous === null ? null : hexId<EventId>(w.previous),
    survivors: w.survivors.map((s) => hexId<GenotypeId>(s)),
    method: w.method,
    best: w.best,
  }),
  readTrusted: (r) => {
    r.map(6);
    r.key('run');
    const run = r.id<EventId>();
    r.key('best');
    const best = r.number();
    r.key('method');
    const method = r.text();
    r.key('previous');
    const previous = r.hasNull() ? null : r.id<EventId>();
    r.key('survivors');
    const survivors = new Array<GenotypeId>(r.array());
    for (let i = 0; i < survivors.length; i++) survivors[i] = r.id<GenotypeId>();
    r.key('generation');
    const generation = r.uint();
    return { run, generation, previous, survivors, method, best };
  },
  genotypes: (b) => [...b.survivors],
});
