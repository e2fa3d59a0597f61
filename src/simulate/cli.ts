// `rapport demo`: fills a running instance with a simulated world, so a newcomer sees the
// dashboard full. runDemo is the library function (tests call it); the command parses options,
// shows progress and turns a refusal into one clear line.

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import cliProgress from 'cli-progress';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { unreachable } from '../api/admin-client.ts';
import { SERVER_URL_HELP, serverUrl } from '../config/index.ts';
import type { Experiment } from '../experiments/index.ts';
import { demoFetch } from './admin-fetch.ts';
import { plantDemoBeliefs } from './beliefs.ts';
import { DEMO_EXPERIMENTS } from './experiments.ts';
import {
  type FilledPages,
  type FilledScreens,
  fillFunnelSegmentsAndValue,
  fillRecommendationsAndLoyalty,
} from './fill.ts';
import {
  DEMO_JOURNEY_EXPERIMENTS,
  type DemoEmailChannel,
  ensureDemoEmailChannel,
  type JourneyPlantTruth,
  plantJourneyExperiments,
} from './journey-experiments.ts';
import { SendRefusedError, type SendResult, sendMessages } from './send.ts';
import { plantDemoSpend } from './spend.ts';
import { type DemoSurveySummary, plantDemoSurvey } from './survey-demo.ts';
import type { WorldKind } from './types.ts';
import { SIZE_PRESETS, type SizeName, simulateWorld } from './world.ts';

export interface DemoOptions {
  kind: WorldKind;
  seed: number;
  people: number;
  days: number;
  /** Defaults to `days` before today's midnight UTC, so the world ends now. */
  start?: Date;
  url: string;
  writeKey: string;
  truthFile?: string;
  /** Store: plant the demo experiments (experiments.ts); the CLI's default, off here unless true. */
  experiments?: boolean;
  /** With it, the planted experiments are also defined (PUT /api/experiments/:id) once sent. */
  adminToken?: string;
  batchSize?: number;
  concurrency?: number;
  /** Called as the stream advances: share of the simulated window done, messages sent. */
  onProgress?: (windowShare: number, messages: number) => void;
}

export interface DemoSummary extends SendResult {
  /** Ids of the planted experiments defined on the server (with an admin token). */
  experimentsDefined: string[];
  /** With an admin token (store, experiments): the planted journey splits' people and reactions per arm. */
  journeyExperiments: JourneyPlantTruth | null;
  /** The email channel the planted journeys' emails went to (the sandbox when the server had none). */
  emailChannel: DemoEmailChannel | null;
  /** With an admin token (store): the recommendations refreshed and the loyalty programme run. */
  pages: FilledPages | null;
  /** With an admin token (store): the funnel switched on, the demo segments saved, the value scored. */
  screens: FilledScreens | null;
  /** With an admin token (store): the planted spend rows imported (spend.ts). */
  spendRows: number;
  /** With an admin token: the planted survey answered mostly by the engaged (survey-demo.ts), with its truth. */
  survey: DemoSurveySummary | null;
  /** With an admin token (store): beliefs written for the assumption audit (beliefs.ts). */
  beliefsPlanted: number;
  people: number;
  start: string;
  end: string;
  truthFile?: string;
}

/** People made eligible for the planted journey splits (enough for the planted lift to show). */
export const JOURNEY_PLANT_PEOPLE = 2000;

export function defaultStart(days: number, now = new Date()): Date {
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return new Date(midnight - days * 86_400_000);
}

/** Writes one JSON line per person, waiting when the file cannot keep up. */
export async function writeTruth(path: string, truths: Iterable<unknown>): Promise<void> {
  const file = createWriteStream(path);
  for (const truth of truths) {
    if (!file.write(`${JSON.stringify(truth)}\n`)) await once(file, 'drain');
  }
  file.end();
  await once(file, 'finish');
}

/**
 * Defines the planted experiments. A metric may only name an event the warehouse has seen, so
 * this waits (up to a minute) for the sent Order Completed events to reach it.
 */
export async function defineDemoExperiments(
  url: string,
  adminToken: string,
  experiments: readonly Experiment[] = DEMO_EXPERIMENTS,
): Promise<string[]> {
  const defined: string[] = [];
  for (const experiment of experiments) {
    for (let attempt = 0; ; attempt++) {
      const response = await demoFetch(new URL(`/api/experiments/${experiment.id}`, url), {
        method: 'PUT',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(experiment),
      });
      if (response.ok) break;
      if (response.status !== 400 || attempt >= 60) {
        throw new SendRefusedError(
          response.status,
          `defining ${experiment.id} was refused (${response.status}): ${await response.text()}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    defined.push(experiment.id);
  }
  return defined;
}

export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const start = options.start ?? defaultStart(options.days);
  const world = simulateWorld({
    kind: options.kind,
    seed: options.seed,
    people: options.people,
    start,
    days: options.days,
    experiments: options.kind === 'store' && options.experiments === true,
  });
  const windowMs = options.days * 86_400_000;
  let latest = start.getTime();
  let sent = 0;
  function* tracked() {
    for (const item of world.timedMessages()) {
      latest = item.at;
      yield item.message;
    }
  }
  const result = await sendMessages(tracked(), {
    url: options.url,
    writeKey: options.writeKey,
    batchSize: options.batchSize ?? 250,
    concurrency: options.concurrency ?? 4,
    onSent(messages) {
      sent += messages;
      options.onProgress?.((latest - start.getTime()) / windowMs, sent);
    },
  });
  if (options.truthFile) await writeTruth(options.truthFile, world.truth());
  const planting = options.kind === 'store' && options.experiments === true && options.adminToken;
  const experimentsDefined = planting
    ? await defineDemoExperiments(options.url, options.adminToken as string)
    : [];
  let journeyExperiments: JourneyPlantTruth | null = null;
  let emailChannel: DemoEmailChannel | null = null;
  if (planting) {
    emailChannel = await ensureDemoEmailChannel({
      url: options.url,
      adminToken: options.adminToken as string,
    });
    // The plant reads each person's arm over the API: a sample keeps a large demo quick. Only
    // customers who already bought: the promo plant's orders then change no one from non-buyer
    // to buyer (the beliefs and the ground truth count buyers).
    const userIds = [...world.truth()]
      .flatMap((person) => (person.userId && person.firstPurchaseAt !== null ? [person.userId] : []))
      .slice(0, JOURNEY_PLANT_PEOPLE);
    journeyExperiments = await plantJourneyExperiments({
      url: options.url,
      writeKey: options.writeKey,
      adminToken: options.adminToken as string,
      userIds,
      seed: options.seed,
    });
    await defineDemoExperiments(options.url, options.adminToken as string, DEMO_JOURNEY_EXPERIMENTS);
  }
  const pages =
    options.kind === 'store' && options.adminToken
      ? await fillRecommendationsAndLoyalty(options.url, options.adminToken)
      : null;
  const screens =
    options.kind === 'store' && options.adminToken
      ? await fillFunnelSegmentsAndValue(options.url, options.adminToken)
      : null;
  const spendRows =
    options.kind === 'store' && options.adminToken
      ? await plantDemoSpend(options.url, options.adminToken, start, options.days)
      : 0;
  const survey = options.adminToken
    ? await plantDemoSurvey(
        { url: options.url, adminToken: options.adminToken, writeKey: options.writeKey, seed: options.seed },
        world.truth(),
      )
    : null;
  const beliefsPlanted =
    options.kind === 'store' && options.adminToken
      ? await plantDemoBeliefs(options.url, options.adminToken, options.experiments === true)
      : 0;
  return {
    ...result,
    experimentsDefined,
    journeyExperiments,
    emailChannel,
    pages,
    screens,
    spendRows,
    survey,
    beliefsPlanted,
    people: options.people,
    start: start.toISOString(),
    end: new Date(start.getTime() + windowMs).toISOString(),
    ...(options.truthFile ? { truthFile: options.truthFile } : {}),
  };
}

function wholeNumber(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) throw new InvalidArgumentError('expected a whole number ≥ 0');
  return number;
}

function dateArgument(value: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new InvalidArgumentError('expected a date such as 2024-01-01');
  return date;
}

interface DemoFlags {
  kind: WorldKind;
  size: SizeName;
  people?: number;
  days?: number;
  start?: Date;
  seed: number;
  url?: string;
  writeKey?: string;
  truth?: string;
  experiments: boolean;
  adminToken?: string;
  batchSize: number;
  concurrency: number;
  progress: boolean;
}

function progressBar(enabled: boolean) {
  if (!enabled || !process.stderr.isTTY) return undefined;
  const bar = new cliProgress.SingleBar(
    {
      format: 'simulated time {bar} {percentage}% | {messages} messages | {rate} msg/s | ETA {eta_formatted}',
      stream: process.stderr,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(1000, 0, { messages: 0, rate: 0 });
  return bar;
}

/** Whether the server answers its health check; if not, says so in one line (exit code 1). */
async function answers(url: string): Promise<boolean> {
  try {
    await fetch(new URL('/health', url));
    return true;
  } catch (error) {
    process.stderr.write(`rapport demo: ${unreachable(url, error).message}\n`);
    process.exitCode = 1;
    return false;
  }
}

async function demoCommand(flags: DemoFlags): Promise<void> {
  const writeKey = flags.writeKey ?? process.env.RAPPORT_WRITE_KEY;
  if (!writeKey) {
    process.stderr.write('rapport demo: a write key is needed: --write-key KEY or RAPPORT_WRITE_KEY\n');
    process.exitCode = 2;
    return;
  }
  const url = serverUrl(flags.url);
  if (!(await answers(url))) return;
  const adminToken = flags.adminToken ?? process.env.RAPPORT_ADMIN_TOKEN;
  const preset = SIZE_PRESETS[flags.size];
  const people = flags.people ?? preset.people;
  const days = flags.days ?? preset.days;
  const startedAt = Date.now();
  const bar = progressBar(flags.progress);
  process.stderr.write(
    `Sending a ${flags.kind} world of ${people} people over ${days} days (seed ${flags.seed}) to ${url}\n`,
  );
  try {
    const summary = await runDemo({
      kind: flags.kind,
      seed: flags.seed,
      people,
      days,
      ...(flags.start ? { start: flags.start } : {}),
      url,
      writeKey,
      ...(flags.truth ? { truthFile: flags.truth } : {}),
      experiments: flags.experiments,
      ...(adminToken ? { adminToken } : {}),
      batchSize: flags.batchSize,
      concurrency: flags.concurrency,
      onProgress(share, messages) {
        const rate = Math.round(messages / Math.max(0.001, (Date.now() - startedAt) / 1000));
        bar?.update(Math.round(share * 1000), { messages, rate });
      },
    });
    bar?.update(1000);
    bar?.stop();
    const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
    const lines = [
      `Sent ${summary.messages} messages in ${summary.requests} requests in ${seconds} s (${summary.start} to ${summary.end}).`,
    ];
    if (summary.rejected > 0)
      lines.push(`The server rejected ${summary.rejected} messages: see /api/dead-letters.`);
    if (summary.experimentsDefined.length > 0)
      lines.push(
        `Planted experiments defined: ${summary.experimentsDefined.join(', ')} (see the Experiments page).`,
      );
    if (summary.journeyExperiments)
      lines.push(
        `Planted journey splits: ${Object.keys(summary.journeyExperiments).join(', ')} (journeys demo-winback, demo-survey and demo-promo: the promo fills the Measure page's "Did it cause it?").`,
      );
    if (summary.emailChannel === 'sandbox switched on' || summary.emailChannel === 'sandbox')
      lines.push(
        `Email: ${summary.emailChannel === 'sandbox' ? 'the email sandbox is on' : 'the server had no email channel, so the email sandbox was switched on'}: the demo journeys' emails are kept on the Messages page (Sandbox inbox) and reach no real inbox (docs/channels.md).`,
      );
    else if (summary.emailChannel)
      lines.push(
        `Email: the demo journeys' emails went through the server's ${summary.emailChannel} email channel, to the simulated people's addresses.`,
      );
    if (summary.journeyExperiments) {
      const sent = Object.values(summary.journeyExperiments)
        .flatMap((arms) => Object.values(arms))
        .reduce((sum, arm) => sum + arm.delivered, 0);
      lines.push(
        `Demo journey emails sent: ${sent} (to the people whose email consent stands; see the Messages page).`,
      );
    }
    if (!summary.journeyExperiments && flags.kind === 'store' && flags.experiments)
      lines.push(
        'Planted experiments sent as Experiment Viewed events; give --admin-token to define them too.',
      );
    if (summary.pages)
      lines.push(
        `Recommendations refreshed (${summary.pages.peopleWithRecommendations} people with next best products), the example loyalty programme run (${summary.pages.loyaltyPointsEarned} points earned).`,
      );
    if (summary.screens)
      lines.push(
        `Lifecycle funnel ${summary.screens.funnel ? 'switched on' : 'already on'}; segments saved: ${summary.screens.segments.join(', ') || 'none missing'}; value scored for ${summary.screens.valueScored} customers.`,
      );
    if (summary.beliefsPlanted > 0)
      lines.push(
        `Beliefs planted: ${summary.beliefsPlanted}, some true and some false (see Understand → Assumption audit).`,
      );
    if (summary.spendRows > 0)
      lines.push(
        `Marketing spend planted: ${summary.spendRows} rows of a day on a channel (see the Measure page's return on each channel).`,
      );
    if (summary.survey)
      lines.push(
        `Survey ${summary.survey.surveyId} planted: ${summary.survey.respondents} of ${summary.survey.asked} answered, mostly the engaged; their NPS is ${summary.survey.respondentNps.toFixed(1)}, everyone's ${summary.survey.truthNps.toFixed(1)} (see the Surveys page's correction).`,
      );
    if (summary.truthFile) lines.push(`Ground truth: ${summary.truthFile} (one JSON line per person).`);
    process.stdout.write(`${lines.join('\n')}\n`);
  } catch (error) {
    bar?.stop();
    if (!(error instanceof SendRefusedError)) throw error;
    process.stderr.write(`rapport demo: ${error.message}\n`);
    process.exitCode = 1;
  }
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'Fill a running Rapport with a simulated store or city, and optionally write its ground truth',
    )
    .addOption(new Option('--kind <kind>', 'what to simulate').choices(['store', 'city']).default('store'))
    .addOption(
      new Option('--size <size>', 'preset: people and days')
        .choices(Object.keys(SIZE_PRESETS))
        .default('small'),
    )
    .option('--people <n>', 'number of people (overrides the preset)', wholeNumber)
    .option('--days <n>', 'length of the simulated window in days (overrides the preset)', wholeNumber)
    .option('--start <date>', 'first day of the window (default: so that it ends today)', dateArgument)
    .option('--seed <n>', 'seed: the same seed gives the same world', wholeNumber, 1)
    .option('--url <url>', SERVER_URL_HELP)
    .option('--write-key <key>', 'write key (default: RAPPORT_WRITE_KEY)')
    .option('--truth <file>', 'write the ground truth as JSON lines to this file')
    .option('--batch-size <n>', 'messages per request', wholeNumber, 250)
    .option('--concurrency <n>', 'requests in flight', wholeNumber, 4)
    .option('--no-experiments', 'store: do not plant the demo experiments')
    .option('--admin-token <token>', 'define the planted experiments too (default: RAPPORT_ADMIN_TOKEN)')
    .option('--no-progress', 'no progress bar')
    .action(demoCommand);
}
