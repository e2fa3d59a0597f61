// One iterative pass over a message: replaces U+0000 and lone UTF-16 surrogates (in values and
// keys) with U+FFFD, writes -0 as 0 and ±Infinity as null (JSON.parse produces them from
// "-0" and "1e999"; JSON.stringify writes them so) so a message and its json agree, and stops at the first object or array nested deeper than the limit.
// Iterative, with an explicit stack, because JSON.parse happily builds 100k-deep values and a
// recursive walk would overflow the call stack on them. It stops descending at the limit, so a
// deep (or, for non-JSON input, cyclic) value costs only maxDepth levels.

import type { JsonObject } from './describe.ts';

// String.prototype.isWellFormed / toWellFormed are ES2024 (Node 20 has them; our lib is ES2023).
declare global {
  interface String {
    isWellFormed(): boolean;
    toWellFormed(): string;
  }
}

/** True when the string holds U+0000 or a lone surrogate. Two native scans, ~3x a regex. */
function isUnstorable(text: string): boolean {
  return !text.isWellFormed() || text.includes('\u0000');
}

function fixString(text: string): string {
  return text.toWellFormed().replaceAll('\u0000', '\uFFFD');
}

/** The string with U+0000 and lone surrogates replaced by U+FFFD (PostgreSQL rejects both). */
export function toStorableString(text: string): string {
  return isUnstorable(text) ? fixString(text) : text;
}

interface Frame {
  container: JsonObject | unknown[];
  depth: number;
  parent: Frame | undefined;
  key: string | number;
}

export type ShapeProblem =
  | { kind: 'depth'; path: string; depth: number }
  | { kind: 'key'; path: string; length: number };

export interface ShapeLimits {
  maxDepth: number;
  /** Characters of any object key (trait and property names are index keys in some stores). */
  keyChars: number;
}

/**
 * Fixes strings in place; returns where nesting first exceeds maxDepth, or the first key longer
 * than keyChars, if there is one.
 */
export function sanitizeAndCheckShape(root: JsonObject, limits: ShapeLimits): ShapeProblem | undefined {
  const stack: Frame[] = [{ container: root, depth: 0, parent: undefined, key: '' }];
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    const problem = Array.isArray(frame.container)
      ? visitArray(frame.container, frame, stack, limits.maxDepth)
      : visitObject(frame.container, frame, stack, limits);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function visitArray(
  array: unknown[],
  frame: Frame,
  stack: Frame[],
  maxDepth: number,
): ShapeProblem | undefined {
  for (let index = 0; index < array.length; index++) {
    const value = array[index];
    if (typeof value === 'string') {
      if (isUnstorable(value)) array[index] = fixString(value);
    } else if (typeof value === 'number') {
      if (value === 0 || !Number.isFinite(value)) array[index] = asJsonWritesIt(value);
    } else if (typeof value === 'object' && value !== null) {
      const tooDeep = pushChild(value, index, frame, stack, maxDepth);
      if (tooDeep !== undefined) return tooDeep;
    }
  }
  return undefined;
}

function visitObject(
  object: JsonObject,
  frame: Frame,
  stack: Frame[],
  limits: ShapeLimits,
): ShapeProblem | undefined {
  const { maxDepth, keyChars } = limits;
  // for-in allocates no key array. A renamed key may be visited again; it is clean by then.
  for (const key in object) {
    if (key.length > keyChars)
      return {
        kind: 'key',
        path: pathOf({ container: object, depth: frame.depth + 1, parent: frame, key }),
        length: key.length,
      };
    const value = object[key];
    const storableKey = isUnstorable(key) ? renameKey(object, key, value) : key;
    if (typeof value === 'string') {
      if (isUnstorable(value)) object[storableKey] = fixString(value);
    } else if (typeof value === 'number') {
      if (value === 0 || !Number.isFinite(value)) object[storableKey] = asJsonWritesIt(value);
    } else if (typeof value === 'object' && value !== null) {
      const tooDeep = pushChild(value, storableKey, frame, stack, maxDepth);
      if (tooDeep !== undefined) return tooDeep;
    }
  }
  return undefined;
}

/** -0 is written as 0, and Infinity (JSON.parse reads 1e999 as Infinity) as null. */
function asJsonWritesIt(value: number): number | null {
  return Number.isFinite(value) ? 0 : null;
}

/** Moves the value to a storable key; key order may change, and a clashing key is overwritten. */
function renameKey(object: JsonObject, key: string, value: unknown): string {
  const storableKey = fixString(key);
  delete object[key];
  // defineProperty, not assignment: never trips a __proto__ setter.
  Object.defineProperty(object, storableKey, { value, enumerable: true, writable: true, configurable: true });
  return storableKey;
}

function pushChild(child: object, key: string | number, parent: Frame, stack: Frame[], maxDepth: number) {
  const depth = parent.depth + 1;
  const frame: Frame = { container: child as JsonObject | unknown[], depth, parent, key };
  if (depth > maxDepth) return { kind: 'depth' as const, path: pathOf(frame), depth };
  stack.push(frame);
  return undefined;
}

const PLAIN_KEY = /^[A-Za-z_$][\w$]*$/;
const MAX_KEY_CHARS = 40;

/** properties.items[0].name; odd keys are quoted: properties["a.b"]. */
function pathOf(frame: Frame): string {
  const segments: string[] = [];
  for (let at: Frame | undefined = frame; at?.parent !== undefined; at = at.parent) {
    segments.push(pathSegment(at.key));
  }
  return segments.reverse().join('').replace(/^\./, '');
}

function pathSegment(key: string | number): string {
  if (typeof key === 'number') return `[${key}]`;
  const shortKey = key.length > MAX_KEY_CHARS ? `${key.slice(0, MAX_KEY_CHARS)}…` : key;
  return PLAIN_KEY.test(shortKey) ? `.${shortKey}` : `[${JSON.stringify(shortKey)}]`;
}
