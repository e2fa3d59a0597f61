// Free-text themes, explainable by construction: answers are cut into words (English stop words
// removed with the `stopword` list), the words and two-word phrases that recur across answers
// are ranked by how many answers use them (a phrase first when it ties with its words), and each
// answer joins the highest-ranked term it contains. A theme is that term, the answers in it and
// a few of them as examples: a reader can check every assignment by looking for the term.
import { eng } from 'stopword';

export interface Theme {
  term: string;
  count: number;
  share: number;
  examples: string[];
}

export interface ThemeReport {
  answers: number;
  themes: Theme[];
  /** Answers that share no recurring term with another. */
  unthemed: number;
}

const STOP = new Set(eng);

export function termsOf(text: string): string[] {
  const words = text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? [];
  const terms = new Set<string>();
  let previous: string | undefined;
  for (const raw of words) {
    const word = raw.replace(/^'+|'+$/g, '');
    if (word.length < 2 || STOP.has(word) || /^\d+$/.test(word)) {
      previous = undefined;
      continue;
    }
    terms.add(word);
    if (previous) terms.add(`${previous} ${word}`);
    previous = word;
  }
  return [...terms];
}

export function themesOf(
  texts: readonly string[],
  options: { maxThemes?: number; examples?: number } = {},
): ThemeReport {
  const maxThemes = options.maxThemes ?? 8;
  const termsPerText = texts.map(termsOf);
  const frequency = new Map<string, number>();
  for (const terms of termsPerText)
    for (const term of terms) frequency.set(term, (frequency.get(term) ?? 0) + 1);
  const ranked = [...frequency]
    .filter(([, count]) => count >= 2)
    .sort(
      (a, b) => b[1] - a[1] || b[0].split(' ').length - a[0].split(' ').length || a[0].localeCompare(b[0]),
    )
    .map(([term]) => term);
  const members = new Map<string, number[]>();
  termsPerText.forEach((terms, i) => {
    const own = new Set(terms);
    const term = ranked.find((t) => own.has(t));
    if (!term) return;
    const list = members.get(term);
    if (list) list.push(i);
    else members.set(term, [i]);
  });
  const themes = [...members]
    .filter(([, list]) => list.length >= 2)
    .sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]))
    .slice(0, maxThemes)
    .map(([term, list]) => ({
      term,
      count: list.length,
      share: list.length / Math.max(1, texts.length),
      examples: list.slice(0, options.examples ?? 3).map((i) => texts[i]!),
    }));
  const themed = themes.reduce((s, t) => s + t.count, 0);
  return { answers: texts.length, themes, unthemed: texts.length - themed };
}
