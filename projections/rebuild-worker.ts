import type { StoredBlockBytes } from '../ledger/index.js';
import { serveThreadPool } from '../ledger/index.js';
import { transferables } from './fold-batch.js';
import { foldBatchOf } from './fold-batch-reader.js';

/** Worker side of a parallel rebuild: stored blocks in, their fold batch out (transferred). */
serveThreadPool((blocks: StoredBlockBytes[]) => {
  const batch = foldBatchOf(blocks);
  return { result: batch, transfer: transferables(batch) };
});
