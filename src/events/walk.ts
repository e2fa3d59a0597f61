// One iterative pass over a message: replaces U+0000 and lone UTF-16 surrogates (in values and
// keys) with U+FFFD, and stops at the first object or array nested deeper than the limit.
// Iterative, with an explicit stack, because JSON.parse happily builds 100k-deep values and a
// recursive walk would overflow the call stack on them. It stops descending at the limit, so a
// deep (or, for non-JSON input, cyclic) value costs only maxDepth levels.

import type { JsonObject } from './describe.ts';

// With the u flag a valid surrogate pair is one code point, so only lone halves match.
// biome-ignore lint/suspicious/noControlCharactersInRegex: U+0000 is exactly what we look for
const UNSTORABLE = /[\u0000\uD800-\uDFFF]/u;
// biome-ignore lint/suspicious/noControlCharactersInRegex: U+0000 is exactly what we look for
const UNSTORABLE_ALL = /[\u0000\uD800-\uDFFF]/gu;

/** The string with U+0000 and lone surrogates replaced by U+FFFD (PostgreSQL rejects both). */
export function toStorableString(text: string): string {
  return UNSTORABLE.test(text) ? text.replace(UNSTORABLE_ALL, '\uFFFD') : text;
}

interface Frame {
  container: JsonObject | unknown[];
  depth: number;
  parent: Frame | undefined;
  key: string | number;
}

export interface TooDeep {
  path: string;
  depth: number;
}

/** Fixes strings in place; returns where nesting first exceeds maxDepth, if it does. */
export function sanitizeAndCheckDepth(root: JsonObject, maxDepth: number): TooDeep | undefined {
  const stack: Frame[] = [{ container: root, depth: 0, parent: undefined, key: '' }];
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    const tooDeep = Array.isArray(frame.container)
      ? visitArray(frame.container, frame, stack, maxDepth)
      : visitObject(frame.container, frame, stack, maxDepth);
    if (tooDeep !== undefined) return tooDeep;
  }
  return undefined;
}

function visitArray(array: unknown[], frame: Frame, stack: Frame[], maxDepth: number) {
  for (let index = 0; index < array.length; index++) {
    const value = array[index];
    if (typeof value === 'string') {
      if (UNSTORABLE.test(value)) array[index] = value.replace(UNSTORABLE_ALL, '\uFFFD');
    } else if (typeof value === 'object' && value !== null) {
      const tooDeep = pushChild(value, index, frame, stack, maxDepth);
      if (tooDeep !== undefined) return tooDeep;
    }
  }
  return undefined;
}

function visitObject(object: JsonObject, frame: Frame, stack: Frame[], maxDepth: number) {
  for (const key of Object.keys(object)) {
    const value = object[key];
    const storableKey = renameUnstorableKey(object, key, value);
    if (typeof value === 'string') {
      if (UNSTORABLE.test(value)) object[storableKey] = value.replace(UNSTORABLE_ALL, '\uFFFD');
    } else if (typeof value === 'object' && value !== null) {
      const tooDeep = pushChild(value, storableKey, frame, stack, maxDepth);
      if (tooDeep !== undefined) return tooDeep;
    }
  }
  return undefined;
}

/** Moves the value to a storable key when the key is not storable; key order may change. */
function renameUnstorableKey(object: JsonObject, key: string, value: unknown): string {
  if (!UNSTORABLE.test(key)) return key;
  const storableKey = key.replace(UNSTORABLE_ALL, '\uFFFD');
  delete object[key];
  // defineProperty, not assignment: never trips a __proto__ setter.
  Object.defineProperty(object, storableKey, { value, enumerable: true, writable: true, configurable: true });
  return storableKey;
}

function pushChild(child: object, key: string | number, parent: Frame, stack: Frame[], maxDepth: number) {
  const depth = parent.depth + 1;
  const frame: Frame = { container: child as JsonObject | unknown[], depth, parent, key };
  if (depth > maxDepth) return { path: pathOf(frame), depth };
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
