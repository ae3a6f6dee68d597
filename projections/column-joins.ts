import type { ProjectionState } from './state.js';
import type { StateColumns } from './state-columns.js';

const UNKNOWN = -2;
const ON_PATH = -3;

/**
 * The joins a finalisation makes over every genotype and mutation, on
 * handles (see state-columns.ts): the run of an event and the family of a
 * genotype, memoised in typed arrays. The same walks as `runOfEvent`
 * (run-of.ts) and `familyOf` (families.ts), which answer single queries by
 * hex id.
 */
export class ColumnJoins {
  readonly #c: StateColumns;
  /** Per event handle: 1 for a run's own event. */
  readonly #isRun: Uint8Array;
  /** Per event handle: its run's handle, -1 for none, UNKNOWN before asked. */
  readonly #run: Int32Array;
  /** Per genotype handle: its family's handle, UNKNOWN before asked. */
  readonly #family: Int32Array;
  readonly #path: number[] = [];

  constructor(state: ProjectionState) {
    const c = state.columns;
    this.#c = c;
    this.#isRun = new Uint8Array(c.events.size);
    for (const id of state.runs.keys()) {
      const h = c.events.findHex(id);
      if (h >= 0) this.#isRun[h] = 1;
    }
    this.#run = new Int32Array(c.events.size).fill(UNKNOWN);
    this.#family = new Int32Array(c.genotypes.size).fill(UNKNOWN);
  }

  /**
   * The run of a seed or mutation event (a handle): walks mutations' first
   * deps back to a seed or a run; -1 when the chain leaves the set.
   */
  runOf(event: number): number {
    const c = this.#c;
    const memo = this.#run;
    const path = this.#path;
    path.length = 0;
    let at = event;
    let run = -1;
    while (at !== -1) {
      const known = memo[at]!;
      if (known !== UNKNOWN) {
        run = known;
        break;
      }
      const seeded = c.seedRunOf(at);
      if (seeded !== -1) {
        run = seeded;
        break;
      }
      if (this.#isRun[at] === 1) {
        run = at;
        break;
      }
      if (!c.isMutation(at)) break;
      const via = c.viaOf(at);
      path.push(at);
      // A cycle cannot be built from content-addressed ids; the guard costs nothing.
      if (path.length > c.mutations) break;
      at = via;
    }
    for (const p of path) memo[p] = run;
    return run;
  }

  /** The run of a genotype's origin; -1 when it has none or it is not known. */
  runOfOrigin(g: number): number {
    const c = this.#c;
    if (!c.hasOrigin(g)) return -1;
    const run = c.originRunOf(g);
    return run !== -1 ? run : this.runOf(c.originEvent[g]!);
  }

  /**
   * The family of a genotype (a handle): the genotype its parent links
   * lead back to; a genotype whose origin is not held is its own family.
   */
  familyOf(g: number): number {
    const c = this.#c;
    const memo = this.#family;
    const path = this.#path;
    path.length = 0;
    let at = g;
    let root: number;
    for (;;) {
      const known = memo[at]!;
      if (known >= 0) {
        root = known;
        break;
      }
      path.push(at);
      memo[at] = ON_PATH;
      const parent = c.hasOrigin(at) ? c.parentOf(at) : -1;
      // The origin rule prevents cycles; a set built by hand could still hold one.
      if (parent === -1 || memo[parent] === ON_PATH) {
        root = at;
        break;
      }
      at = parent;
    }
    for (const p of path) memo[p] = root;
    return root;
  }
}
