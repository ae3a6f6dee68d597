/**
 * `npm run bench -- NAME [flags]`: runs one benchmark. Each prints a table
 * and ends with one JSON line; docs/benchmarks.md keeps the latest figures.
 */
const benches: Record<string, () => Promise<{ run(args: string[]): Promise<void> }>> = {
  ledger: () => import('./ledger.js'),
  'ledger-overhead': () => import('./ledger-overhead.js'),
  evolution: () => import('./evolution.js'),
  projections: () => import('./projections.js'),
  replication: () => import('./replication.js'),
};

const [name, ...args] = process.argv.slice(2);
const load = name === undefined ? undefined : benches[name];
if (load === undefined) {
  process.stderr.write(`usage: npm run bench -- <${Object.keys(benches).join('|')}> [flags]\n`);
  process.exitCode = 2;
} else {
  await (await load()).run(args);
}
