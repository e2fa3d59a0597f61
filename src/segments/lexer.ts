// Tokens of the text form. Words are not reserved: the parser reads them by position, so a
// trait may be called `and` (the printer quotes only what is not a plain word).

export type TokenKind = 'word' | 'string' | 'number' | 'date' | 'symbol' | 'end';

export interface Token {
  kind: TokenKind;
  /** The source text of the token (for strings, with the quotes). */
  text: string;
  /** Offset of the first character in the source. */
  offset: number;
}

export class LexError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const WORD = /[A-Za-z_][A-Za-z0-9_.]*/y;
/** Broader than a valid date so `2026-01-01T10:00:00+02:00` gets a clear message, not two tokens. */
const DATE = /[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9:.]+(Z|[+-][0-9]{2}:?[0-9]{2})?)?/y;
const NUMBER = /-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
const STRING = /"(?:[^"\\\n]|\\.)*"/y;
const SYMBOLS = ['!=', '>=', '<=', '=', '>', '<', '(', ')', ','];

export const PLAIN_WORD = /^[A-Za-z_][A-Za-z0-9_.]*$/;

function matchAt(pattern: RegExp, text: string, offset: number): string | undefined {
  pattern.lastIndex = offset;
  return pattern.exec(text)?.[0];
}

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let offset = 0;
  while (offset < text.length) {
    const char = text[offset] as string;
    if (/\s/.test(char)) {
      offset += 1;
      continue;
    }
    const token = readToken(text, offset);
    tokens.push(token);
    offset += token.text.length;
  }
  tokens.push({ kind: 'end', text: '', offset: text.length });
  return tokens;
}

function readToken(text: string, offset: number): Token {
  const char = text[offset] as string;
  if (char === '"') {
    const quoted = matchAt(STRING, text, offset);
    if (!quoted) throw new LexError('this string is not closed: add a " before the end of the line', offset);
    return { kind: 'string', text: quoted, offset };
  }
  const date = matchAt(DATE, text, offset);
  if (date) return { kind: 'date', text: date, offset };
  const number = matchAt(NUMBER, text, offset);
  if (number) return { kind: 'number', text: number, offset };
  const word = matchAt(WORD, text, offset);
  if (word) return { kind: 'word', text: word, offset };
  const symbol = SYMBOLS.find((s) => text.startsWith(s, offset));
  if (symbol) return { kind: 'symbol', text: symbol, offset };
  throw new LexError(`unexpected character ${JSON.stringify(char)}`, offset);
}

/** The string a string token stands for (JSON escapes). */
export function stringValue(token: Token): string {
  try {
    return JSON.parse(token.text) as string;
  } catch {
    throw new LexError('this string has an escape JSON does not allow', token.offset);
  }
}
