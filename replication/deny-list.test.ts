import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DenyList } from './deny-list.js';

describe('DenyList', () => {
  it('reads peer ids from its file, ignores comments, and notices changes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'deny-'));
    try {
      const file = join(dir, 'deny');
      const list = new DenyList(file);
      expect(await list.reload()).toBe(false);
      expect(list.has('A')).toBe(false);
      await writeFile(file, 'A # lab 1\n\n  B\n');
      expect(await list.reload()).toBe(true);
      expect(list.list()).toEqual(['A', 'B']);
      await writeFile(file, 'B\n');
      expect(await list.reload()).toBe(true);
      expect(list.has('A')).toBe(false);
      const changes: string[][] = [];
      list.watch((denied) => changes.push([...denied]), 20);
      await writeFile(file, 'C\n');
      await new Promise((r) => setTimeout(r, 200));
      list.stop();
      expect(changes.at(-1)).toEqual(['C']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
