import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../test/cli.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);

/** Fenced blocks of one language in a markdown file. */
function blocks(markdown: string, lang: string): string[] {
  const out: string[] = [];
  const fence = new RegExp('^```' + lang + '\\n([\\s\\S]*?)^```', 'gm');
  for (const m of markdown.matchAll(fence)) out.push(m[1]!);
  return out;
}

/** Maps the package's public entry points to the sources. */
function localise(code: string): string {
  return code.replace(
    /from 'evoledger\/(\w+)'/g,
    (_m, folder: string) => `from '${join(root, folder, 'index.ts')}'`,
  );
}

const docs = (await readdir(join(root, 'docs')))
  .filter((f) => f.endsWith('.md'))
  .map((f) => join('docs', f));
const withSnippets: string[] = [];
for (const file of ['README.md', ...docs]) {
  if (blocks(await readFile(join(root, file), 'utf8'), 'ts').length > 0) withSnippets.push(file);
}

describe('documentation snippets run', () => {
  const scratch = join(root, 'scratch', 'doc-snippets');
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('the documentation has runnable TypeScript', () => {
    expect(withSnippets.length).toBeGreaterThan(0);
  });

  for (const file of withSnippets) {
    it(`TypeScript in ${file}`, async () => {
      const snippets = blocks(await readFile(join(root, file), 'utf8'), 'ts');
      await mkdir(scratch, { recursive: true });
      for (const [i, code] of snippets.entries()) {
        const path = join(scratch, `${file.replace(/\W/g, '_')}_${i}.ts`);
        await writeFile(path, localise(code));
        const { stdout } = await run(process.execPath, ['--import', 'tsx', path], { cwd: root });
        // A snippet that prints states what it prints in a trailing comment.
        const expected = /console\.log\(.*\); \/\/ (.*)$/m.exec(code)?.[1];
        if (expected !== undefined) expect(stdout.trim().split('\n').pop()).toBe(expected);
      }
    });
  }

  it('the README tour runs, command by command', async () => {
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    const tour = blocks(readme, 'sh').find((b) => b.includes('init --dir demo'))!;
    const dir = await mkdtemp(join(tmpdir(), 'evoledger-tour-'));
    try {
      let genotype = '';
      for (const raw of tour.split('\n')) {
        const line = raw.replace(/#.*$/, '').trim();
        if (line === '') continue;
        const args = line
          .split(/\s+/)
          .slice(1)
          .map((a) => (a === '<genotype>' ? genotype : a));
        const r = await runCli([...args, '--json'], { cwd: dir });
        expect(r.code, `${line}\n${r.stderr}`).toBe(0);
        if (args[0] === 'evolve')
          genotype = r.json<{ champion: { genotypeId: string } }>().champion.genotypeId;
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
