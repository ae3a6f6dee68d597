import { readFile, stat } from 'node:fs/promises';

/**
 * Peers this node refuses: a file of peer ids (one a line, `#` comments),
 * re-read whenever it changes. Operators use it as a firewall; the
 * partition tests cut links for real with it. `onChange` receives the new
 * set so the node can close live connections to newly denied peers.
 */
export class DenyList {
  readonly #file: string | undefined;
  #denied = new Set<string>();
  #mtime = -1;
  #timer: NodeJS.Timeout | undefined;

  constructor(file?: string) {
    this.#file = file;
  }

  /** True when `peer` (a peer id string) is denied. */
  has(peer: string): boolean {
    return this.#denied.has(peer);
  }

  /** Every denied peer. */
  list(): string[] {
    return [...this.#denied].sort();
  }

  /** Reads the file now; returns true when the set changed. */
  async reload(): Promise<boolean> {
    if (this.#file === undefined) return false;
    let text = '';
    let mtime = 0;
    try {
      const s = await stat(this.#file);
      mtime = s.mtimeMs + s.size;
      if (mtime === this.#mtime) return false;
      text = await readFile(this.#file, 'utf8');
    } catch {
      mtime = 0; // no file: nobody denied
      if (mtime === this.#mtime) return false;
    }
    this.#mtime = mtime;
    const next = new Set(
      text
        .split('\n')
        .map((l) => l.replace(/#.*/, '').trim())
        .filter((l) => l.length > 0),
    );
    const changed = next.size !== this.#denied.size || [...next].some((p) => !this.#denied.has(p));
    this.#denied = next;
    return changed;
  }

  /** Polls the file every `intervalMs` and calls `onChange` with the new set when it changed. */
  watch(onChange: (denied: ReadonlySet<string>) => void, intervalMs = 200): void {
    if (this.#file === undefined || this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      void this.reload().then((changed) => {
        if (changed) onChange(this.#denied);
      });
    }, intervalMs);
    this.#timer.unref();
  }

  /** Stops watching. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
