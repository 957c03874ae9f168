import { Command } from 'commander';
import { registerStandardCommands } from '../contracts/cli.js';
import { loadConfig } from '../core/config.js';
import {
  ApiKeyStore,
  MachineRegistry,
  registerKeyCommands,
  registerRegistryCommands,
} from '../registry/index.js';

/** The `sawbrain` command: provisioning, and tools for the sawing data standard. */
const program = new Command('sawbrain')
  .description('SawBrain — the sawing data brain for connected band saws')
  .showHelpAfterError();

registerRegistryCommands(program, () => MachineRegistry.open(loadConfig().dataDir));
registerKeyCommands(program, () => ApiKeyStore.open(loadConfig().dataDir));
registerStandardCommands(program);

await program.parseAsync(process.argv);
