import { Command, CommanderError } from 'commander';
import { takeExitStatus } from './command.js';
import { registerEvolveCommands } from './commands/evolve-commands.js';
import { registerLedgerCommands } from './commands/ledger-commands.js';
import { registerProjectionCommands } from './commands/projection-commands.js';
import { replicationCommands } from './commands/replication-commands.js';
import { liveStatusProjection } from './live-status-projection.js';

/** Every command group, registered in this order (help lists them so). */
const groups: ReadonlyArray<(program: Command) => void> = [
  registerLedgerCommands,
  registerEvolveCommands,
  registerProjectionCommands,
  replicationCommands({ projection: liveStatusProjection }),
];

/** Builds the `evoledger` program. */
export function buildProgram(): Command {
  const program = new Command('evoledger')
    .description('Neuroevolution recorded in a signed, replicated ledger.')
    .showHelpAfterError()
    .exitOverride();
  for (const register of groups) register(program);
  return program;
}

/** Runs the CLI on `argv` (without node and script) and returns the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with exit code 0.
      return err.exitCode === 0 ? 0 : 2;
    }
    throw err;
  }
  return takeExitStatus();
}
