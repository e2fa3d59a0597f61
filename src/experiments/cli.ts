// `rapport experiments …`: compare reads a compare document (stats/compare.ts) on stdin and
// prints the result as JSON, with no server and no storage.
import type { Command } from 'commander';
import { isRapportError, RapportError } from '../errors/index.ts';
import { compareDocument, parseCompareRequest } from './stats/compare.ts';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new RapportError('RAPPORT_EXPERIMENT_INVALID', `stdin is not JSON: ${(error as Error).message}`, {
      field: '(document)',
    });
  }
}

export function registerExperimentsCommands(program: Command): void {
  const experiments = program.command('experiments').description('experiments and their statistics');
  experiments
    .command('compare')
    .description(
      'compare a variant with the control from aggregates: reads {"type","control":{"n","sum","sumSquares"},"variant":{…},"engine","difference","alpha","sequentialTuning"} on stdin, prints {"effect","ci","se","pValue","chanceToWin","risk"}; with "variants":[…] instead of "variant" (and "correction"), prints {"correction","variants":[{…,"adjustedPValue"}]}',
    )
    .action(async () => {
      try {
        const result = compareDocument(parseCompareRequest(parseJson(await readStdin())));
        process.stdout.write(`${JSON.stringify(result)}\n`);
      } catch (error) {
        if (!isRapportError(error)) throw error;
        process.stderr.write(`rapport experiments compare: ${error.message} (${error.code})\n`);
        process.exitCode = 1;
      }
    });
}
