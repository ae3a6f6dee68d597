import { parentPort } from 'node:worker_threads';
import { checkBlock } from './block-check.js';

/** Worker side of parallel verification: encoded blocks in, checks out, in order. */
parentPort?.on('message', (msg: { id: number; blocks: Uint8Array[] }) => {
  parentPort!.postMessage({ id: msg.id, checks: msg.blocks.map(checkBlock) });
});
