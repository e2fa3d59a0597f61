// Basket files: one basket a line, items separated by commas, as the public groceries data set.
// Item names are kept exactly (some groceries names end in a space and arules keeps it); a
// trailing carriage return is dropped. What the file gets wrong is repaired the way arules
// repairs it and reported, never silently: an item twice in a basket counts once, an empty line
// or an empty item between commas is no basket and no item.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

export interface BasketIssues {
  /** Lines (1-based) that were empty or blank: skipped, not counted as baskets. */
  emptyLines: number[];
  /** Lines with an item more than once, and the items: each counted once. */
  duplicates: { line: number; items: string[] }[];
  /** Lines with an empty item (`a,,b` or a trailing comma): the empty item dropped. */
  emptyItems: number[];
}

export interface BasketRead {
  baskets: string[][];
  issues: BasketIssues;
}

export function emptyIssues(): BasketIssues {
  return { emptyLines: [], duplicates: [], emptyItems: [] };
}

/** One line into a basket (undefined for an empty line), noting what was repaired. */
export function parseBasketLine(raw: string, line: number, issues: BasketIssues): string[] | undefined {
  const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  if (text.trim() === '') {
    issues.emptyLines.push(line);
    return undefined;
  }
  const seen = new Set<string>();
  const repeated = new Set<string>();
  let emptyItem = false;
  for (const item of text.split(',')) {
    if (item.trim() === '') emptyItem = true;
    else if (seen.has(item)) repeated.add(item);
    else seen.add(item);
  }
  if (emptyItem) issues.emptyItems.push(line);
  if (repeated.size > 0) issues.duplicates.push({ line, items: [...repeated] });
  return seen.size > 0 ? [...seen] : undefined;
}

export function parseBaskets(text: string): BasketRead {
  const issues = emptyIssues();
  const lines = text.split('\n');
  // A final newline ends the last line; it does not start an empty one.
  if (lines.at(-1) === '') lines.pop();
  const baskets: string[][] = [];
  lines.forEach((raw, index) => {
    const basket = parseBasketLine(raw, index + 1, issues);
    if (basket) baskets.push(basket);
  });
  return { baskets, issues };
}

/** Streams a basket file line by line. */
export async function readBasketFile(path: string): Promise<BasketRead> {
  const issues = emptyIssues();
  const baskets: string[][] = [];
  const lines = createInterface({
    input: createReadStream(path, 'utf8'),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let line = 0;
  for await (const raw of lines) {
    const basket = parseBasketLine(raw, ++line, issues);
    if (basket) baskets.push(basket);
  }
  return { baskets, issues };
}

/** Human lines for stderr; empty when nothing was repaired. */
export function describeIssues(issues: BasketIssues): string[] {
  const lines: string[] = [];
  const list = (numbers: number[]) =>
    numbers.slice(0, 10).join(', ') + (numbers.length > 10 ? ` … and ${numbers.length - 10} more` : '');
  if (issues.emptyLines.length > 0) {
    lines.push(`skipped ${issues.emptyLines.length} empty line(s): ${list(issues.emptyLines)}`);
  }
  if (issues.duplicates.length > 0) {
    const first = issues.duplicates[0]!;
    lines.push(
      `${issues.duplicates.length} basket(s) held an item more than once, counted once (line ${first.line}: ${first.items.map((item) => JSON.stringify(item)).join(', ')}); lines ${list(issues.duplicates.map((d) => d.line))}`,
    );
  }
  if (issues.emptyItems.length > 0) {
    lines.push(
      `dropped empty items (",," or a trailing comma) on ${issues.emptyItems.length} line(s): ${list(issues.emptyItems)}`,
    );
  }
  return lines;
}
