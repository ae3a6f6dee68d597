import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Identity, loadIdentity, saveIdentity } from '../crypto/index.js';
import type { RealmId } from '../crypto/index.js';
import { createRealm, Ledger } from '../ledger/index.js';
import { LevelStore } from '../ledger/level-store.js';
import { CliError } from './errors.js';

/** Default data folder, relative to the working directory. */
export const DEFAULT_DIR = '.evoledger';

/** Paths inside a data folder. */
export function paths(dir: string) {
  const root = resolve(dir);
  return {
    root,
    store: join(root, 'store'),
    identity: join(root, 'identity.key'),
    config: join(root, 'config.json'),
    nodeStatus: join(root, 'node-status.json'),
  };
}

/** What `init` records besides the store and key. */
export interface DataConfig {
  /** The realm commands write to unless told otherwise. */
  readonly realm: RealmId;
}

/** An opened data folder: identity, ledger, default realm. */
export interface Context {
  readonly dir: string;
  readonly identity: Identity;
  readonly ledger: Ledger;
  readonly config: DataConfig;
  close(): Promise<void>;
}

/** True when `dir` holds an initialised data folder. */
export function isInitialised(dir: string): boolean {
  const p = paths(dir);
  return existsSync(p.config) && existsSync(p.identity);
}

/**
 * Creates a data folder: an identity key (mode 0600), a level store, and an
 * open realm "local" whose genesis the new key signs.
 */
export async function initialise(
  dir: string,
  options: { realmName?: string; closed?: boolean; workers?: number | undefined } = {},
): Promise<Context> {
  const p = paths(dir);
  if (isInitialised(dir)) {
    throw new CliError('ALREADY_INITIALISED', `${p.root} is already initialised`);
  }
  await mkdir(p.root, { recursive: true });
  const identity = existsSync(p.identity) ? await loadIdentity(p.identity) : Identity.generate();
  if (!existsSync(p.identity)) await saveIdentity(p.identity, identity);
  const store = await LevelStore.open(p.store);
  const ledger = await Ledger.open(store, { workers: options.workers ?? 0 });
  const { realm, block } = createRealm(identity, {
    name: options.realmName ?? 'local',
    open: !options.closed,
  });
  const report = await ledger.ingest([block], { trusted: true });
  if (report.rejected.length > 0) {
    throw new Error(`genesis refused: ${report.rejected[0]!.message}`);
  }
  const config: DataConfig = { realm };
  await writeFile(p.config, JSON.stringify(config, null, 2) + '\n');
  return { dir: p.root, identity, ledger, config, close: closer(ledger, store) };
}

/** Stops the ledger's workers, then closes the store. */
const closer = (ledger: Ledger, store: LevelStore) => async () => {
  await ledger.close();
  await store.close();
};

/** Opens an initialised data folder (or initialises it when `autoInit`). */
export async function openContext(
  dir: string,
  options: { autoInit?: boolean; workers?: number } = {},
): Promise<Context> {
  const p = paths(dir);
  if (!isInitialised(dir)) {
    if (options.autoInit) return initialise(dir, { workers: options.workers });
    throw new CliError(
      'NOT_INITIALISED',
      `no evoledger data in ${p.root}: run "evoledger init --dir ${dir}"`,
    );
  }
  const identity = await loadIdentity(p.identity);
  const config = JSON.parse(await readFile(p.config, 'utf8')) as DataConfig;
  const store = await LevelStore.open(p.store);
  const ledger = await Ledger.open(store, { workers: options.workers ?? 0 });
  return { dir: p.root, identity, ledger, config, close: closer(ledger, store) };
}
