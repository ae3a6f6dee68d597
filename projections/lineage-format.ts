import { shortId } from '../crypto/index.js';
import type { AppliedOp } from '../ledger/index.js';
import type { Fitness } from './fitness.js';
import type { Lineage, LineageStep } from './lineage.js';

const fmtFitness = (f: Fitness): string =>
  typeof f === 'number'
    ? String(Number(f.toPrecision(6)))
    : `[${f.map((x) => Number(x.toPrecision(6))).join(', ')}]`;

const fmtOp = (op: AppliedOp): string =>
  `${op[0]}(${op
    .slice(1)
    .map((p) => (typeof p === 'number' && !Number.isInteger(p) ? Number(p.toPrecision(4)) : p))
    .join(', ')})`;

function checkMark(step: LineageStep): string {
  const v = step.origin?.verification;
  if (v === null || v === undefined) return '';
  return v.ok ? ' ✓' : ` ✗ ${v.code ?? ''}`;
}

/** A lineage as lines for humans: one genotype a line, its operators and fitness below. */
export function formatLineageText(l: Lineage): string[] {
  const lines: string[] = [];
  for (const s of l.steps) {
    const best = s.evaluations[0];
    const fitness =
      best === undefined
        ? 'not evaluated'
        : `fitness ${fmtFitness(best.fitness)}${best.solved ? ' solved' : ''}`;
    const o = s.origin;
    if (o === null) {
      lines.push(`#${s.depth} ${shortId(s.genotype)}  (origin not held)  ${fitness}`);
      continue;
    }
    const who = `by ${shortId(o.author)}`;
    if (o.kind === 'seed') {
      lines.push(`#${s.depth} ${shortId(s.genotype)}  seed ${who}  ${fitness}${checkMark(s)}`);
    } else {
      const from = `from ${shortId(o.parent!)}${o.mate === null ? '' : ` × ${shortId(o.mate)}`}`;
      lines.push(
        `#${s.depth} ${shortId(s.genotype)}  gen ${o.generation} ${from} ${who}  ${fitness}${checkMark(s)}`,
      );
      if (o.ops.length > 0) lines.push(`     ops: ${o.ops.map(fmtOp).join(' ')}`);
    }
    for (const e of s.evaluations) {
      if (e.verification !== null && !e.verification.ok) {
        lines.push(
          `     evaluation ${shortId(e.event)} ✗ ${e.verification.code ?? ''}: ${e.verification.message ?? ''}`,
        );
      }
    }
  }
  lines.push(
    `${l.steps.length} genotype(s), ${l.seeds.length} seed(s)` +
      (l.missing.length > 0 ? `, ${l.missing.length} missing` : '') +
      (l.truncated ? ', truncated by --depth' : '') +
      (l.verified
        ? l.intact
          ? '; every signature and chain link checks out'
          : '; VERIFICATION FAILED'
        : '; not verified'),
  );
  return lines;
}

/** A DOT string literal: quotes and backslashes escaped, newlines as DOT's `\n`. */
const quote = (s: string) =>
  `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;

/** A lineage as a Graphviz digraph: ancestors point to descendants, edges carry the operators. */
export function formatLineageDot(l: Lineage): string {
  const out = ['digraph lineage {', '  rankdir=BT;', '  node [shape=box, fontname="monospace"];'];
  for (const s of l.steps) {
    const best = s.evaluations[0];
    const label = [
      shortId(s.genotype),
      s.origin?.kind === 'seed'
        ? 'seed'
        : s.origin === null
          ? 'origin not held'
          : `gen ${s.origin.generation}`,
      best === undefined ? 'not evaluated' : `fitness ${fmtFitness(best.fitness)}`,
      s.origin === null ? '' : `by ${shortId(s.origin.author)}`,
    ]
      .filter((x) => x !== '')
      .join('\n');
    const bad = s.origin?.verification !== null && s.origin?.verification?.ok === false;
    const style = s.depth === 0 ? ', style=bold' : bad ? ', color=red' : '';
    out.push(`  ${quote(s.genotype)} [label=${quote(label)}${style}];`);
  }
  for (const s of l.steps) {
    const o = s.origin;
    if (o === null || o.parent === null) continue;
    const ops = o.ops.map((op) => op[0]).join(', ');
    out.push(`  ${quote(o.parent)} -> ${quote(s.genotype)} [label=${quote(ops)}];`);
    if (o.mate !== null)
      out.push(`  ${quote(o.mate)} -> ${quote(s.genotype)} [style=dashed, label="mate"];`);
  }
  out.push('}');
  return out.join('\n');
}
