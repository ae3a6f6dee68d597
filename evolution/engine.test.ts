import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeCanonical, fromHex, isIdHex } from '../crypto/index.js';
import { defaultConfig } from './config.js';
import { evolve } from './engine.js';
import type { Progress } from './engine.js';
import type { Evaluator } from './evaluator.js';
import type { MutationBody } from './events.js';
import { restore } from './resume.js';
import { loadTaskModule } from './tasks/load-task-module.js';
import { getTask } from './tasks/registry.js';
import type { Task } from './tasks/task.js';
import { memorySink } from './__tests__/memory-sink.js';
import { createWorkerPool } from './worker-pool.js';

async function runOnce(
  task: Task,
  seed: number,
  evaluator?: Evaluator,
  config = defaultConfig(task.id),
) {
  const sink = memorySink();
  let last: Progress | undefined;
  for await (const p of evolve({
    task,
    seed,
    sink,
    config,
    ...(evaluator === undefined ? {} : { evaluator }),
  }))
    last = p;
  return { sink, last: last! };
}

const pools: Evaluator[] = [];
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

describe('evolve', () => {
  it('solves XOR in a small run and accounts for every evaluation', async () => {
    const { sink, last } = await runOnce(getTask('xor'), 1);
    expect(last.solved).toBe(true);
    expect(last.stopped).toBe('solved');
    const evals = sink.drafts.filter((d) => d.draft.kind === 'evaluation');
    expect(
      evals.reduce((a, d) => a + (d.draft.body as { evaluations: number }).evaluations, 0),
    ).toBe(last.evaluations);
    expect(sink.drafts[0]!.draft.kind).toBe('run');
    expect(sink.drafts.at(-1)!.draft.kind).toBe('selection');
  });

  for (const [method, strategy] of [
    ['tournament', 'generational'],
    ['top3', 'generational'],
    ['speciation', 'generational'],
    ['competition', 'steady-state'],
  ] as const) {
    it(`runs with ${method} selection, ${strategy}`, async () => {
      const config = defaultConfig('xor', {
        strategy,
        batch: 3,
        selection: { method },
        maxEvaluations: 20_000,
      });
      const { sink, last } = await runOnce(getTask('xor'), 11, undefined, config);
      expect(last.solved).toBe(true);
      const selections = sink.drafts.filter((d) => d.draft.kind === 'selection');
      expect(selections.length).toBe(last.generation + 1);
      for (const s of selections) expect((s.draft.body as { method: string }).method).toBe(method);
      if (strategy === 'steady-state' && last.generation > 1) {
        // Each step breeds `batch` offspring: a mutation per offspring (until the solving one).
        const muts = sink.drafts.filter(
          (d) =>
            d.draft.kind === 'mutation' &&
            (d.draft.body as { generation: number }).generation === 1,
        );
        expect(muts.length).toBe(3);
      }
    });
  }

  it('emits the same event stream inline, with 1 worker and with 2 workers', async () => {
    const task = getTask('xor');
    const config = defaultConfig('xor', { maxEvaluations: 3000 });
    const one = createWorkerPool({ workers: 1 });
    const two = createWorkerPool({ workers: 2, chunk: 1 });
    pools.push(one, two);
    const a = await runOnce(task, 7, undefined, config);
    const b = await runOnce(task, 7, one, config);
    const c = await runOnce(task, 7, two, config);
    expect(b.sink.drafts).toEqual(a.sink.drafts);
    expect(c.sink.drafts).toEqual(a.sink.drafts);
  });

  it('evaluates custom task modules in workers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evoledger-task-'));
    const file = join(dir, 'half.mjs');
    writeFileSync(
      file,
      'export const task = { id: "half", version: 1, sensors: 1, actuators: 1, params: {}, evaluate(p) { const y = p.activate([1])[0]; return { fitness: -Math.abs(y - 0.5), cost: 1, solved: Math.abs(y - 0.5) < 0.001 }; } };',
    );
    const task = await loadTaskModule(file);
    const pool = createWorkerPool({ workers: 2 });
    pools.push(pool);
    const config = defaultConfig('half', { maxEvaluations: 2000 });
    const a = await runOnce(task, 3, undefined, config);
    const b = await runOnce(task, 3, pool, config);
    expect(b.sink.drafts).toEqual(a.sink.drafts);
  });

  it('keeps typical mutation bodies within 200 bytes (CBOR, 32-byte binary ids)', async () => {
    const { sink } = await runOnce(
      getTask('dpv'),
      2,
      undefined,
      defaultConfig('dpv', { maxEvaluations: 1500 }),
    );
    const sizes = sink.drafts
      .filter((d) => d.draft.kind === 'mutation')
      .map((d) => {
        const b = d.draft.body as MutationBody;
        const bin = (id: string) => fromHex(id, 32);
        const wire = {
          generation: b.generation,
          parent: bin(b.parent),
          child: bin(b.child),
          seed: b.seed,
          ops: b.ops,
        };
        return encodeCanonical(wire).length;
      })
      .sort((x, y) => x - y);
    expect(sizes.length).toBeGreaterThan(0);
    expect(sizes[sizes.length >> 1]).toBeLessThanOrEqual(200);
  });

  for (const stagnation of [0, 1]) {
    it(`resumes an aborted run into exactly the stream of an uninterrupted one (stagnation ${stagnation})`, async () => {
      const task = getTask('parity', { bits: 3 });
      const config = defaultConfig('parity', {
        maxGenerations: 8,
        maxEvaluations: 1_000_000,
        stagnation,
      });
      const full = await runOnce(task, 5, undefined, config);
      if (stagnation > 0)
        expect(full.sink.drafts.filter((d) => d.draft.kind === 'seed').length).toBeGreaterThan(
          config.population,
        );
      const ac = new AbortController();
      const first = memorySink();
      for await (const p of evolve({ task, seed: 5, config, sink: first, signal: ac.signal }))
        if (p.generation === 2) ac.abort();
      expect(first.drafts.length).toBeLessThan(full.sink.drafts.length);
      const state = restore(
        first.drafts.map((d) => ({ id: d.id, kind: d.draft.kind, body: d.draft.body })),
      );
      expect(state.generation).toBe(3);
      const rest = memorySink();
      for await (const _ of evolve({ task, seed: 0, sink: rest, resume: state }));
      expect([...first.drafts, ...rest.drafts]).toEqual(full.sink.drafts);
      expect(full.sink.drafts.every((d) => isIdHex(d.id))).toBe(true);
    });
  }
});
