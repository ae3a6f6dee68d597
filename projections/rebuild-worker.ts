import { parentPort } from 'node:worker_threads';
import type { StoredBlockBytes } from '../ledger/index.js';
import { transferables } from './fold-batch.js';
import { foldBatchOf } from './fold-batch-reader.js';

/** Worker side of a parallel rebuild: stored blocks in, their fold batch out (transferred). */
parentPort?.on('message', (msg: { id: number; blocks: StoredBlockBytes[] }) => {
  try {
    const batch = foldBatchOf(msg.blocks);
    parentPort!.postMessage({ id: msg.id, batch }, transferables(batch));
  } catch (err) {
    const { name, message, code } = err as { name?: string; message?: string; code?: string };
    parentPort!.postMessage({ id: msg.id, error: { name, message, code } });
  }
});
