import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { partitionedExperiment } from '../property-tests/projections-synthetic.js';
import { projectionHashOf } from './index.js';

const root = resolve(import.meta.dirname, '..');

describe('docs/projections.md', () => {
  it('its code snippet compiles and gives the projection hash', async () => {
    const doc = await readFile(join(root, 'docs/projections.md'), 'utf8');
    const snippet = /```ts\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(snippet).toBeDefined();
    // The snippet imports the package's entry points: point them at the sources.
    const source = snippet!.replace(
      /from 'evoledger\/(\w+)'/g,
      (_m, folder: string) => `from '${join(root, folder, 'index.ts')}'`,
    );
    const dir = await mkdtemp(join(tmpdir(), 'evoledger-doc-'));
    try {
      const file = join(dir, 'snippet.ts');
      await writeFile(file, source);
      const mod = (await import(file)) as { hashOf: (events: Iterable<unknown>) => string };
      const { events } = await partitionedExperiment({ seed: 1, base: 1, sideA: 1, sideB: 1 });
      expect(mod.hashOf([...events].reverse())).toBe(await projectionHashOf(events));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
