// With an admin token, `rapport demo` also fills the recommendations and loyalty pages: the
// example loyalty programme (when none is set) and a run, a refresh of next best products, and
// the `recommendations` experiment (its holdout against its treatment) on the Experiments page.
// The orders must reach the warehouse first, so the refresh is retried until it sees buyers.
// It also switches on the lifecycle funnel (after the history is in: the stages are dated by
// each person's own events), saves the demo segments and refreshes the value scores, so the
// Funnel, Segments and Value pages are not empty.
import { EXAMPLE_PROGRAMME } from '../loyalty/index.ts';
import { type DemoFetchOptions, demoFetch } from './admin-fetch.ts';
import { SendRefusedError } from './send.ts';

async function call(
  url: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  retry: DemoFetchOptions = {},
) {
  const authorization = `Bearer ${token}`;
  const response = await demoFetch(
    new URL(path, url),
    {
      method,
      headers: {
        authorization,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    },
    retry,
  );
  const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) {
    throw new SendRefusedError(
      response.status,
      `${method} ${path} was refused (${response.status}): ${JSON.stringify(answer)}`,
    );
  }
  return answer;
}

/** The answer to GET path when it is a 200 (the thing exists), else undefined. */
async function existing200(url: string, token: string, path: string): Promise<Response | undefined> {
  const response = await demoFetch(new URL(path, url), { headers: { authorization: `Bearer ${token}` } });
  return response.status === 200 ? response : undefined;
}

export interface FilledPages {
  loyaltyPointsEarned: number;
  peopleWithRecommendations: number;
}

export async function fillRecommendationsAndLoyalty(url: string, token: string): Promise<FilledPages> {
  let refresh: Record<string, unknown> = {};
  for (let attempt = 0; attempt < 60; attempt++) {
    refresh = await call(url, token, 'POST', '/api/recommendations/refresh', undefined, {
      idempotent: true,
    });
    if (Number(refresh.people) > 0) break;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  const programme = await call(url, token, 'GET', '/api/loyalty/programme');
  if ((programme.earnRules as unknown[]).length === 0) {
    await call(url, token, 'PUT', '/api/loyalty/programme', EXAMPLE_PROGRAMME);
  }
  const run = await call(url, token, 'POST', '/api/loyalty/run', undefined, { idempotent: true });
  const holdout = Number((refresh.settings as { holdoutShare?: number } | undefined)?.holdoutShare ?? 0.1);
  if (holdout > 0) {
    await call(url, token, 'PUT', '/api/experiments/recommendations', {
      id: 'recommendations',
      name: 'Next best products',
      owner: 'demo',
      hypothesis:
        'People shown their next best products buy more than the holdout (the simulated shop plants no effect)',
      status: 'running',
      attachment: { kind: 'standalone' },
      arms: [
        { id: 'holdout', name: 'Held out: no recommendations', weight: holdout },
        { id: 'recommendations', name: 'Recommendations shown', weight: 1 - holdout },
      ],
      primaryMetric: {
        name: 'purchases',
        kind: 'conversion',
        event: 'Order Completed',
        windowHours: 90 * 24,
      },
      guardrailMetrics: [],
    });
  }
  return {
    loyaltyPointsEarned: Number(run.pointsEarned ?? 0),
    peopleWithRecommendations: Number(refresh.withRecommendations ?? 0),
  };
}

/** The segments a new user sees on the Segments page after `rapport demo` (store). */
export const DEMO_SEGMENTS = [
  { id: 'repeat-buyers', name: 'Repeat buyers', text: 'performed "Order Completed" at least 2 times' },
  {
    id: 'recent-buyers',
    name: 'Bought in the last 30 days',
    text: 'performed "Order Completed" in last 30 days',
  },
  {
    id: 'lapsed-buyers',
    name: 'Lapsed buyers (no order in 90 days)',
    text: 'performed "Order Completed" and not performed "Order Completed" in last 90 days',
  },
  { id: 'valuable', name: 'Expected to spend over 100 (CLV)', text: 'computed clv > 100' },
] as const;

export interface FilledScreens {
  funnel: string | null;
  segments: string[];
  valueScored: number;
}

/** The lifecycle funnel (when no funnel is on), the demo segments that are missing, a value refresh. */
export async function fillFunnelSegmentsAndValue(url: string, token: string): Promise<FilledScreens> {
  const { funnels } = (await call(url, token, 'GET', '/api/funnels')) as { funnels: unknown[] };
  let funnel: string | null = null;
  if (funnels.length === 0) {
    await call(url, token, 'PUT', '/api/funnels/lifecycle', { preset: 'ecommerce' });
    funnel = 'lifecycle';
  }
  const value = await call(url, token, 'POST', '/api/value/refresh', undefined, { idempotent: true });
  const { segments } = (await call(url, token, 'GET', '/api/segments')) as {
    segments: Array<{ id: string }>;
  };
  const existing = new Set(segments.map((segment) => segment.id));
  const saved: string[] = [];
  for (const segment of DEMO_SEGMENTS) {
    if (existing.has(segment.id)) continue;
    await call(url, token, 'POST', '/api/segments', segment, {
      landed: () => existing200(url, token, `/api/segments/${segment.id}`),
    });
    saved.push(segment.id);
  }
  return { funnel, segments: saved, valueScored: Number(value.customers ?? 0) };
}
