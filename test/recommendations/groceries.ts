// The public groceries baskets (R arules' `Groceries`), read from the shared data folder beside
// the checkout and never copied in. Tests that need them skip, saying why, when they are absent.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// The checkout sits beside `shared/`, or one level deeper (a worktree in a folder of them);
// RAPPORT_SHARED_DATA names the data folder outright.
const CANDIDATES = [
  ...(process.env.RAPPORT_SHARED_DATA ? [`${process.env.RAPPORT_SHARED_DATA}/groceries/groceries.csv`] : []),
  `${ROOT}../shared/data/groceries/groceries.csv`,
  `${ROOT}../../shared/data/groceries/groceries.csv`,
];

export const GROCERIES = CANDIDATES.find((path) => existsSync(path));

export function groceriesSkipReason(): string | undefined {
  return GROCERIES
    ? undefined
    : `groceries data not found at ${CANDIDATES.join(' or ')} (see shared/data/README.md)`;
}
