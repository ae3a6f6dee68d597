import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fromHex, toHex } from './bytes.js';
import { CryptoError } from './errors.js';
import type { PublicKey } from './ids.js';
import { getDefaultBackend, signTagged } from './signing.js';
import type { SigningDomain } from './signing.js';
import type { SignatureBackend } from './signature-backend.js';

const KEY_FILE_TYPE = 'evoledger-ed25519-v1';

/**
 * An Ed25519 identity: a node's author key and, in replication, its peer id.
 * The secret never leaves this object except through {@link saveIdentity}.
 */
export class Identity {
  readonly publicKey: PublicKey;
  readonly publicKeyBytes: Uint8Array;
  readonly #secret: Uint8Array;
  readonly #backend: SignatureBackend;

  private constructor(secret: Uint8Array, backend: SignatureBackend) {
    if (secret.byteLength !== 32) {
      throw new CryptoError('BAD_KEY', `an Ed25519 secret is 32 bytes, got ${secret.byteLength}`);
    }
    this.#secret = secret;
    this.#backend = backend;
    this.publicKeyBytes = backend.publicKey(secret);
    this.publicKey = toHex(this.publicKeyBytes) as PublicKey;
  }

  /** A fresh identity from the operating system's CSPRNG. */
  static generate(backend: SignatureBackend = getDefaultBackend()): Identity {
    return new Identity(new Uint8Array(randomBytes(32)), backend);
  }

  /** The identity of a known 32-byte secret seed (tests, benchmarks, key import). */
  static fromSecret(secret: Uint8Array, backend: SignatureBackend = getDefaultBackend()): Identity {
    return new Identity(new Uint8Array(secret), backend);
  }

  /** Signs `payload` under a domain tag. */
  sign(domain: SigningDomain, payload: Uint8Array): Uint8Array {
    return signTagged(domain, this.#secret, payload, this.#backend);
  }

  /** The raw secret seed, for handing to libp2p as the same key. */
  exportSecret(): Uint8Array {
    return new Uint8Array(this.#secret);
  }
}

/** Writes a key file readable by its owner only (mode 0600). */
export async function saveIdentity(path: string, identity: Identity): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const body = JSON.stringify(
    { type: KEY_FILE_TYPE, publicKey: identity.publicKey, secret: toHex(identity.exportSecret()) },
    null,
    2,
  );
  await writeFile(path, body + '\n', { mode: 0o600, flag: 'wx' });
  await chmod(path, 0o600);
}

/**
 * Loads a key file. Like ssh, refuses a file that group or others can read or
 * write (`KEY_FILE_PERMISSIONS`): a leaked author key forges history.
 */
export async function loadIdentity(
  path: string,
  backend: SignatureBackend = getDefaultBackend(),
): Promise<Identity> {
  let mode: number;
  try {
    mode = (await stat(path)).mode;
  } catch (err) {
    throw new CryptoError('KEY_FILE_MISSING', `no key file at ${path}: run "evoledger init"`, {
      cause: err,
    });
  }
  if ((mode & 0o077) !== 0) {
    throw new CryptoError(
      'KEY_FILE_PERMISSIONS',
      `key file ${path} is accessible by others (mode ${(mode & 0o777).toString(8)}); ` +
        `run "chmod 600 ${path}"`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new CryptoError('BAD_KEY', `key file ${path} is not JSON`, { cause: err });
  }
  const file = parsed as { type?: unknown; publicKey?: unknown; secret?: unknown };
  if (file.type !== KEY_FILE_TYPE || typeof file.secret !== 'string') {
    throw new CryptoError('BAD_KEY', `key file ${path} is not an ${KEY_FILE_TYPE} key`);
  }
  const identity = Identity.fromSecret(fromHex(file.secret, 32), backend);
  if (identity.publicKey !== file.publicKey) {
    throw new CryptoError('BAD_KEY', `key file ${path}: public key does not match the secret`);
  }
  return identity;
}
