import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Level } from 'level';
import { afterAll } from 'vitest';
import type { EventDraft } from '../event.js';
import { PART_EVENTS } from '../level-block-frame.js';
import { LevelStore } from '../level-store.js';
import { alice, ChainBuilder, realmA } from './sample-blocks.js';

/**
 * Temporary folders for level stores, all removed once the calling test
 * file's tests are done. Call it at a test file's top level.
 */
export function tempDirs(name: string): () => Promise<string> {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });
  return async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), `evoledger-${name}-`));
    dirs.push(dir);
    return dir;
  };
}

/** Edits the raw LevelDB of a closed store. */
export async function editLevel(
  dir: string,
  fn: (db: Level<Uint8Array, Uint8Array>) => Promise<void>,
): Promise<void> {
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open();
  try {
    await fn(db);
  } finally {
    await db.close();
  }
}

/**
 * A closed level store in `dir` holding alice's block of one event, then
 * one of `2 × PART_EVENTS + 5` events (three parts), made of `drafts(n)`.
 */
export async function twoBlockStore(
  dir: string,
  drafts: (n: number) => (EventDraft | Uint8Array)[],
) {
  const chain = new ChainBuilder(alice, realmA);
  const small = chain.next(drafts(1));
  const big = chain.next(drafts(2 * PART_EVENTS + 5));
  const store = await LevelStore.open(dir);
  await store.append([small, big]);
  await store.close();
  return { dir, small, big };
}
