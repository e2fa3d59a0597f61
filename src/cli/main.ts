// The `rapport` command. Each capability registers its own subcommands from its folder;
// this file only assembles them.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerAttributionCommands } from '../attribution/index.ts';
import { registerCredentialCommands, registerUsersCommands } from '../auth/index.ts';
import { registerExperimentsCommands } from '../experiments/index.ts';
import { registerLogCommands } from '../ingest/index.ts';
import { registerPersonasCommands } from '../personas/index.ts';
import { registerProfilesCommands } from '../profiles/index.ts';
import { registerRecommendCommands } from '../recommendations/index.ts';
import { registerSegmentsCommands } from '../segments/index.ts';
import { registerDemoCommand } from '../simulate/index.ts';
import { registerTransferCommands } from '../transfer/index.ts';
import { registerClvCommands, registerValueCommands } from '../value/index.ts';
import { registerApplyCommand } from './apply.ts';
import { registerQuarantineCommands } from './quarantine.ts';
import { registerServeCommand } from './serve.ts';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};
const program = new Command();
program
  .name('rapport')
  .description('Rapport: customer engagement platform')
  .version(version, '-V, --version', 'print the version')
  .showHelpAfterError();

registerServeCommand(program);
registerCredentialCommands(program);

registerClvCommands(program);
registerValueCommands(program);
registerDemoCommand(program);
registerProfilesCommands(program);
registerSegmentsCommands(program);
registerApplyCommand(program);
registerTransferCommands(program);
registerLogCommands(program);
registerQuarantineCommands(program);
registerExperimentsCommands(program);
registerAttributionCommands(program);
registerRecommendCommands(program);
registerPersonasCommands(program);
registerUsersCommands(program);
await program.parseAsync(process.argv);
