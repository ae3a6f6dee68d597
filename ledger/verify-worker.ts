import { checkBlock, transferablesOf } from './block-check.js';
import { serveThreadPool } from './thread-pool.js';

/** Worker side of parallel verification: encoded blocks in, checks out (their bulk transferred). */
serveThreadPool((blocks: Uint8Array[]) => {
  const checks = blocks.map(checkBlock);
  return { result: checks, transfer: transferablesOf(checks) };
});
