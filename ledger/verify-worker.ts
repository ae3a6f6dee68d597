import { parentPort } from 'node:worker_threads';
import { checkBlock, transferablesOf } from './block-check.js';

/** Worker side of parallel verification: encoded blocks in, checks out, in order. */
parentPort?.on('message', (msg: { id: number; blocks: Uint8Array[] }) => {
  const checks = msg.blocks.map(checkBlock);
  parentPort!.postMessage({ id: msg.id, checks }, transferablesOf(checks));
});
