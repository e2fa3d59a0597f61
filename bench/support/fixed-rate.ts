// A fixed-rate GET load from a child process (so it does not share the server's event loop):
// `node --import tsx bench/support/fixed-rate.ts CONFIG.json` prints autocannon's result as
// JSON on its last line. Paths rotate through the given list (e.g. many different people).
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

interface FixedRateConfig {
  url: string;
  paths: string[];
  rate: number;
  seconds: number;
  connections: number;
  headers: Record<string, string>;
}

const config = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as FixedRateConfig;
let next = 0;
const result = await autocannon({
  url: config.url,
  connections: config.connections,
  overallRate: config.rate,
  duration: config.seconds,
  headers: config.headers,
  requests: [
    {
      method: 'GET',
      setupRequest: (request: Record<string, unknown>) => {
        request.path = config.paths[next++ % config.paths.length];
        return request;
      },
    },
  ],
});
process.stdout.write(
  `${JSON.stringify({ latency: result.latency, requests: result.requests, non2xx: result.non2xx, errors: result.errors })}\n`,
);
