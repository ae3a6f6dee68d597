import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Identity, loadIdentity, saveIdentity } from './identity.js';
import { SigningDomains, verifyTagged } from './signing.js';

describe('identity key files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'evoledger-key-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('saves with mode 0600 and loads the same key', async () => {
    const id = Identity.generate();
    const path = join(dir, 'identity.key');
    await saveIdentity(path, id);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const loaded = await loadIdentity(path);
    expect(loaded.publicKey).toBe(id.publicKey);
    const sig = loaded.sign(SigningDomains.block, Uint8Array.of(1, 2));
    expect(verifyTagged(SigningDomains.block, id.publicKeyBytes, Uint8Array.of(1, 2), sig)).toBe(
      true,
    );
  });

  it('refuses a key file others can read, as ssh does', async () => {
    const path = join(dir, 'identity.key');
    await saveIdentity(path, Identity.generate());
    await chmod(path, 0o644);
    await expect(loadIdentity(path)).rejects.toMatchObject({ code: 'KEY_FILE_PERMISSIONS' });
  });

  it('says what to do when the key is missing', async () => {
    await expect(loadIdentity(join(dir, 'nope.key'))).rejects.toMatchObject({
      code: 'KEY_FILE_MISSING',
    });
  });

  it('separates signing domains', () => {
    const id = Identity.generate();
    const sig = id.sign(SigningDomains.block, Uint8Array.of(9));
    expect(verifyTagged(SigningDomains.keyProof, id.publicKeyBytes, Uint8Array.of(9), sig)).toBe(
      false,
    );
  });
});
