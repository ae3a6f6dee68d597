import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NodeStatus } from './status.js';

/**
 * Runs `evoledger node` processes for the multi-process tests and the
 * benchmark: real processes, real TCP on 127.0.0.1. Not used by nodes.
 */
export interface NodeProcess {
  readonly dir: string;
  readonly child: ChildProcess;
  readonly peerId: string;
  readonly addrs: readonly string[];
  /** Everything the process wrote on stderr so far. */
  stderr(): string;
  /** The node's status file (undefined before the first write). */
  status(): Promise<NodeStatus | undefined>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL now. */
  kill(): Promise<void>;
}

/** Options of {@link startNodeProcess}. */
export interface StartNodeOptions {
  /** Path of `bin/evoledger.js`. */
  readonly bin: string;
  readonly dir: string;
  readonly args?: readonly string[];
  readonly timeoutMs?: number;
  /** Extra arguments for node itself (e.g. `--cpu-prof`). */
  readonly nodeArgs?: readonly string[];
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts `evoledger node --dir DIR --json ARGS…` and resolves once it prints its peer id and addresses. */
export function startNodeProcess(options: StartNodeOptions): Promise<NodeProcess> {
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeArgs ?? []),
      options.bin,
      'node',
      '--dir',
      options.dir,
      '--json',
      ...(options.args ?? []),
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let err = '';
  let out = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    err = (err + d).slice(-200_000);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node in ${options.dir} did not start: ${err}`));
    }, options.timeoutMs ?? 20_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`node in ${options.dir} exited with ${code}: ${err}`));
    });
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{"peerId"'));
      if (line === undefined) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      const { peerId, addrs } = JSON.parse(line) as { peerId: string; addrs: string[] };
      const proc: NodeProcess = {
        dir: options.dir,
        child,
        peerId,
        addrs,
        stderr: () => err,
        async status() {
          try {
            return JSON.parse(
              await readFile(join(options.dir, 'node-status.json'), 'utf8'),
            ) as NodeStatus;
          } catch {
            return undefined;
          }
        },
        async stop(graceMs = 5000) {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGTERM');
          const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
          await exited(child);
          clearTimeout(t);
        },
        async kill() {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGKILL');
          await exited(child);
        },
      };
      resolve(proc);
    });
  });
}

/** Polls `check` every `everyMs` until it returns true; throws with `describe()` after `timeoutMs`. */
export async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  describe: () => Promise<string> | string = () => 'condition',
  everyMs = 200,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${await describe()}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago (for nodes started in parallel). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The loopback multiaddr of a port. */
export const loopback = (port: number): string => `/ip4/127.0.0.1/tcp/${port}`;
