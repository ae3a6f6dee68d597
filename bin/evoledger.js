#!/usr/bin/env node
// The `evoledger` command. The TypeScript sources are compiled to dist/ by
// `npm run build` (run by `npm ci` through `prepare`).
//
// evoledger needs Node 22 or newer (libp2p 3). The project depends on a pinned
// Node 22 runtime (the `node` package); when this launcher is started by an
// older system Node, it hands over to that runtime instead of running on a
// Node that cannot work.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  const pinned = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (!existsSync(pinned)) {
    process.stderr.write(
      `evoledger needs Node 22 or newer (this is ${process.version}); run "npm ci" first.\n`,
    );
    process.exit(1);
  }
  const self = fileURLToPath(import.meta.url);
  const child = spawn(pinned, [self, ...process.argv.slice(2)], { stdio: 'inherit' });
  // Forward signals so that Ctrl-C and SIGTERM stop the real process cleanly.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'])
    process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + 15 : 1)));
} else {
  const { main } = await import('../dist/cli/main.js');
  process.exitCode = await main(process.argv.slice(2));
}
