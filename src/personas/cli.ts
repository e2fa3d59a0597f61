// `rapport personas fit [--traits a,b,c] [--k N] [--no-scale] [--json]` and `rapport personas show`:
// personas from the people in a running server's store, through its admin API.
import type { Command } from 'commander';
import {
  AdminClient,
  type AdminOptions,
  cliAction,
  printBody,
  withAdminServer,
} from '../api/admin-client.ts';
import type { PersonaFit } from './model.ts';

interface FitOptions extends AdminOptions {
  traits?: string;
  k?: string;
  scale?: boolean;
}

/** What `--json` prints: the fit's figures and the cards, without the matching centroids. */
export function fitSummary(fit: PersonaFit) {
  return {
    k: fit.k,
    inertia: fit.inertia,
    silhouette: fit.silhouette,
    sizes: fit.sizes,
    personas: fit.personas.map(({ centroid: _centroid, ...card }) => card),
  };
}

function text(fit: PersonaFit): string {
  const lines = [
    `${fit.k} personas over ${fit.people} people (silhouette ${fit.silhouette.toFixed(3)}, inertia ${fit.inertia.toFixed(1)})`,
  ];
  for (const p of fit.personas) {
    lines.push(`  ${p.id}  ${p.name}: ${p.size} people (${(p.share * 100).toFixed(1)}%); ${p.description}`);
  }
  return lines.join('\n');
}

export function registerPersonasCommands(program: Command): void {
  const personas = program
    .command('personas')
    .description('personas from data: who the customers are, by behaviour');
  withAdminServer(
    personas
      .command('fit')
      .description('cluster the people in the store into personas (k-means; k by silhouette unless --k)')
      .option('--traits <names>', 'numeric traits to use beside behaviour, comma-separated')
      .option('--k <n>', 'a fixed number of personas (2 to 12)')
      .option('--no-scale', 'cluster on the raw features instead of standardised ones'),
  ).action(
    cliAction<FitOptions>('personas fit', async (options) => {
      const body: Record<string, unknown> = { scale: options.scale !== false };
      if (options.traits)
        body.traits = options.traits
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean);
      if (options.k !== undefined) body.k = Number(options.k);
      const fit = (await new AdminClient(options).call('POST', '/api/personas/fit', body)) as PersonaFit;
      printBody(options, options.json ? (fitSummary(fit) as unknown as PersonaFit) : fit, text);
    }),
  );
  withAdminServer(personas.command('show').description('the last fit')).action(
    cliAction<AdminOptions>('personas show', async (options) => {
      const fit = (await new AdminClient(options).call('GET', '/api/personas')) as PersonaFit;
      printBody(options, options.json ? (fitSummary(fit) as unknown as PersonaFit) : fit, text);
    }),
  );
}
