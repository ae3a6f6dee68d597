import { shortId } from '../crypto/index.js';
import type { LedgerEvent } from '../ledger/index.js';
import { isKind } from '../ledger/index.js';

/** One human line describing an event's body. */
export function summariseEvent(e: LedgerEvent): string {
  if (isKind(e, 'genesis'))
    return `realm "${e.body.name}" (${e.body.open ? 'open' : 'closed'}), ${e.body.admins.length} admin(s)`;
  if (isKind(e, 'membership')) return `${e.body.action} ${e.body.role} ${shortId(e.body.member)}`;
  if (isKind(e, 'run'))
    return `run of ${e.body.task.id}@${e.body.task.version}, seed ${e.body.seed}`;
  if (isKind(e, 'seed')) return `seed genotype ${shortId(e.body.genotype)}`;
  if (isKind(e, 'mutation')) {
    const ops = e.body.ops.map((o) => o[0]).join(',');
    return `g${e.body.generation} ${shortId(e.body.parent)} -> ${shortId(e.body.child)} [${ops}]`;
  }
  if (isKind(e, 'evaluation')) {
    const f = Array.isArray(e.body.fitness)
      ? `[${e.body.fitness.join(', ')}]`
      : String(e.body.fitness);
    return `${shortId(e.body.genotype)} on ${e.body.task.id}: fitness ${f}${e.body.solved ? ' (solved)' : ''}`;
  }
  if (isKind(e, 'selection')) {
    return `g${e.body.generation} ${e.body.method}: ${e.body.survivors.length} survivors, best ${e.body.best}`;
  }
  return `(${e.kind} v${e.v}, not known to this version: kept as is)`;
}
