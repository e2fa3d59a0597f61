// Pure row → Segment message mapping for imports: the `--map column=field[:kind]` language,
// the plan built from a CSV header, and deterministic messageIds. No I/O here; every message
// built here then goes through parsePayload like a message sent to /v1/batch.
import { createHash } from 'node:crypto';

export type ValueKind = 'string' | 'number' | 'boolean' | 'date' | 'json';
const VALUE_KINDS: readonly ValueKind[] = ['string', 'number', 'boolean', 'date', 'json'];

/** Where a column's value goes in the message: ['properties', 'order_id'], ['userId']. */
export interface FieldTarget {
  path: string[];
  kind: ValueKind;
}

/** A mistake in how the import was asked for (flags, header): nothing is imported. */
export class ImportUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportUsageError';
  }
}

/** What one row lacked or got wrong; the row is rejected with these, like an API rejection. */
export interface RowProblem {
  code: string;
  field: string;
  reason: string;
}

export const ROW_INVALID = 'RAPPORT_IMPORT_INVALID_ROW';

const TOP_LEVEL_FIELDS = [
  'messageId',
  'type',
  'userId',
  'anonymousId',
  'event',
  'name',
  'timestamp',
  'groupId',
  'previousId',
] as const;
const OBJECT_FIELDS = ['properties', 'traits', 'context', 'integrations'] as const;

/** "order_id=properties.order_id:number" → column order_id, target properties.order_id as a number. */
export function parseMapSpec(spec: string): { column: string; target: FieldTarget } {
  const at = spec.lastIndexOf('=');
  if (at <= 0)
    throw new ImportUsageError(`--map ${spec}: expected column=field, e.g. total=properties.revenue`);
  const column = spec.slice(0, at);
  let field = spec.slice(at + 1);
  let kind: ValueKind = 'string';
  const colon = field.lastIndexOf(':');
  if (colon > 0) {
    const suffix = field.slice(colon + 1);
    if (!(VALUE_KINDS as readonly string[]).includes(suffix)) {
      throw new ImportUsageError(
        `--map ${spec}: unknown kind "${suffix}"; use one of ${VALUE_KINDS.join(', ')}`,
      );
    }
    kind = suffix as ValueKind;
    field = field.slice(0, colon);
  }
  return { column, target: { path: parseFieldPath(field, `--map ${spec}`), kind } };
}

/** A field a column may fill: a top-level Segment field or a key under properties/traits/context. */
export function parseFieldPath(field: string, where: string): string[] {
  const path = field.split('.');
  const [head, ...rest] = path;
  if (head === undefined || path.some((part) => part === '')) {
    throw new ImportUsageError(`${where}: "${field}" is not a field path`);
  }
  if ((TOP_LEVEL_FIELDS as readonly string[]).includes(head) && rest.length === 0) return path;
  if ((OBJECT_FIELDS as readonly string[]).includes(head) && rest.length > 0) return path;
  throw new ImportUsageError(
    `${where}: "${field}" is not a field an import can fill; use one of ${TOP_LEVEL_FIELDS.join(', ')} or ` +
      `${OBJECT_FIELDS.map((f) => `${f}.NAME`).join(', ')}`,
  );
}

export interface CsvColumnPlan {
  index: number;
  column: string;
  target: FieldTarget;
}

export interface CsvPlan {
  columns: CsvColumnPlan[];
  /** Set on every message whatever the row holds (type, event). */
  fixed: Record<string, string>;
  /** profiles: the identifier column and what it becomes. */
  identifier?: { index: number; column: string; kind: 'email' | 'userId' | 'anonymousId' };
}

export interface EventsPlanOptions {
  maps: string[];
  ignore: string[];
  /** Fixed event name for every row (track), unless a column maps to `event`. */
  event?: string;
  type?: string;
}

export interface ProfilesPlanOptions {
  maps: string[];
  ignore: string[];
  /** The identifier column's name in the header. */
  id: string;
}

/** Columns named like a top-level field fill it; others go under `bag` (properties or traits). */
function defaultTarget(column: string, bag: 'properties' | 'traits'): FieldTarget {
  if ((TOP_LEVEL_FIELDS as readonly string[]).includes(column)) return { path: [column], kind: 'string' };
  return { path: [bag, column], kind: 'string' };
}

function columnPlans(
  header: string[],
  maps: string[],
  ignore: string[],
  bag: 'properties' | 'traits',
): CsvColumnPlan[] {
  const explicit = new Map<string, FieldTarget>();
  for (const spec of maps) {
    const { column, target } = parseMapSpec(spec);
    if (!header.includes(column)) throw missingColumn(`--map ${spec}`, column, header);
    explicit.set(column, target);
  }
  for (const column of ignore) {
    if (!header.includes(column)) throw missingColumn(`--ignore ${column}`, column, header);
  }
  const seen = new Set<string>();
  const plans: CsvColumnPlan[] = [];
  header.forEach((column, index) => {
    if (seen.has(column)) throw new ImportUsageError(`the header names column "${column}" twice`);
    seen.add(column);
    if (ignore.includes(column) || column === '') return;
    plans.push({ index, column, target: explicit.get(column) ?? defaultTarget(column, bag) });
  });
  return plans;
}

export function missingColumn(where: string, column: string, header: string[]): ImportUsageError {
  const shown = header
    .slice(0, 50)
    .map((c) => JSON.stringify(c))
    .join(', ');
  const more = header.length > 50 ? ` and ${header.length - 50} more` : '';
  return new ImportUsageError(
    `${where}: the file has no column "${column}"; its columns are ${shown}${more}`,
  );
}

export function eventsPlan(header: string[], options: EventsPlanOptions): CsvPlan {
  const columns = columnPlans(header, options.maps, options.ignore, 'properties');
  const type = options.type ?? 'track';
  const fixed: Record<string, string> = { type };
  const hasEventColumn = columns.some((c) => c.target.path.join('.') === 'event');
  if (options.event !== undefined) fixed.event = options.event;
  else if (type === 'track' && !hasEventColumn) {
    throw new ImportUsageError(
      'track rows need an event name: pass --event "Order Completed" or map a column to it (--map COLUMN=event)',
    );
  }
  return { columns, fixed };
}

/**
 * Profiles: identify messages. The `--id` column's target decides what identifies the person:
 * `email` (named email, or mapped to traits.email) → traits.email, plus anonymousId
 * "email:<address>" because Segment requires an id; `anonymousId` → anonymousId; anything else
 * → userId. Other columns become traits by name unless mapped or ignored.
 */
export function profilesPlan(header: string[], options: ProfilesPlanOptions): CsvPlan {
  const index = header.indexOf(options.id);
  if (index < 0) throw missingColumn(`--id ${options.id}`, options.id, header);
  const columns = columnPlans(header, options.maps, options.ignore, 'traits');
  const idPlan = columns.find((c) => c.index === index);
  const idPath = idPlan?.target.path.join('.') ?? '';
  const kind =
    idPath === 'traits.email' ? 'email' : idPath === 'anonymousId' ? 'anonymousId' : ('userId' as const);
  // The id column is applied by applyIdentifier, not as an ordinary trait.
  const rest = columns.filter((c) => c.index !== index);
  return { columns: rest, fixed: { type: 'identify' }, identifier: { index, column: options.id, kind } };
}

/** One CSV record → a Segment message object (not yet validated), or what is wrong with it. */
export function csvRecordToMessage(
  record: string[],
  plan: CsvPlan,
): { message: Record<string, unknown> } | { problem: RowProblem } {
  const message: Record<string, unknown> = { ...plan.fixed };
  if (plan.identifier) {
    const problem = applyIdentifier(message, record, plan.identifier);
    if (problem) return { problem };
  }
  for (const column of plan.columns) {
    const raw = record[column.index];
    // An empty cell sets nothing: it does not erase a trait nor send an empty string.
    if (raw === undefined || raw === '') continue;
    const value = convert(raw, column.target.kind);
    if (value instanceof Error) {
      return {
        problem: {
          code: ROW_INVALID,
          field: column.target.path.join('.'),
          reason: `column "${column.column}": ${value.message}`,
        },
      };
    }
    setPath(message, column.target.path, value);
  }
  return { message };
}

function applyIdentifier(
  message: Record<string, unknown>,
  record: string[],
  identifier: NonNullable<CsvPlan['identifier']>,
): RowProblem | undefined {
  const value = record[identifier.index]?.trim() ?? '';
  if (value === '') {
    return {
      code: ROW_INVALID,
      field: identifier.kind,
      reason: `the id column "${identifier.column}" is empty`,
    };
  }
  if (identifier.kind === 'email') {
    message.anonymousId = `email:${value.toLowerCase()}`;
    setPath(message, ['traits', 'email'], value);
  } else {
    message[identifier.kind] = value;
  }
  return undefined;
}

const TRUE_WORDS = new Set(['true', 'yes', '1', 'y']);
const FALSE_WORDS = new Set(['false', 'no', '0', 'n']);

function convert(raw: string, kind: ValueKind): unknown {
  switch (kind) {
    case 'string':
      return raw;
    case 'number': {
      const number = raw.trim() === '' ? Number.NaN : Number(raw.trim());
      return Number.isFinite(number) ? number : new Error(`${JSON.stringify(raw)} is not a number`);
    }
    case 'boolean': {
      const word = raw.trim().toLowerCase();
      if (TRUE_WORDS.has(word)) return true;
      if (FALSE_WORDS.has(word)) return false;
      return new Error(`${JSON.stringify(raw)} is not a boolean (true/false, yes/no, 1/0)`);
    }
    case 'date': {
      const millis = Date.parse(raw.trim());
      return Number.isNaN(millis)
        ? new Error(`${JSON.stringify(raw)} is not a date`)
        : new Date(millis).toISOString();
    }
    case 'json':
      try {
        return JSON.parse(raw);
      } catch {
        return new Error(`${JSON.stringify(raw.slice(0, 60))} is not JSON`);
      }
  }
}

/** Sets a nested key; objects on the way are created own-property by own-property (no __proto__ games). */
function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i] as string;
    const next = Object.hasOwn(node, key) ? node[key] : undefined;
    if (typeof next === 'object' && next !== null && !Array.isArray(next)) {
      node = next as Record<string, unknown>;
      continue;
    }
    const created: Record<string, unknown> = {};
    Object.defineProperty(node, key, {
      value: created,
      enumerable: true,
      writable: true,
      configurable: true,
    });
    node = created;
  }
  const last = path[path.length - 1] as string;
  Object.defineProperty(node, last, { value, enumerable: true, writable: true, configurable: true });
}

/** One JSON line → a message object (validated later by parsePayload), or why not. */
export function jsonLineToMessage(
  line: string,
): { message: Record<string, unknown> } | { problem: RowProblem } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (error) {
    return {
      problem: { code: ROW_INVALID, field: '', reason: `not valid JSON: ${(error as Error).message}` },
    };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return {
      problem: {
        code: ROW_INVALID,
        field: '',
        reason: `each line must be one JSON object (a Segment message), got ${Array.isArray(parsed) ? 'an array' : typeof parsed}`,
      },
    };
  }
  return { message: parsed as Record<string, unknown> };
}

/**
 * A messageId for a row that has none, the same on every run over the same data: the file's
 * identity (its first bytes, not its path, so a moved file dedupes) with the import options
 * (a corrected --map makes new messages), the row number, and the row's own content (a row
 * changed in place is new, not a duplicate). The row number sits in the middle, zero-padded,
 * so one file's ids ascend: the log's unique index takes them as appends, not random inserts
 * (several times faster on a million rows).
 */
let fileHashMemo = { fileKey: '', hash: '' };

export function importMessageId(fileKey: string, row: number, content: string): string {
  if (fileHashMemo.fileKey !== fileKey) {
    fileHashMemo = { fileKey, hash: createHash('sha256').update(fileKey).digest('hex').slice(0, 16) };
  }
  const file = fileHashMemo.hash;
  const rowHash = createHash('sha256')
    .update(fileKey)
    .update('\u0000')
    .update(content)
    .digest('hex')
    .slice(0, 16);
  return `import-${file}-${String(row).padStart(10, '0')}-${rowHash}`;
}

/** Gives the message a deterministic messageId unless it carries one. */
export function ensureMessageId(
  message: Record<string, unknown>,
  fileKey: string,
  row: number,
  content: string,
): void {
  if (message.messageId === undefined || message.messageId === null) {
    message.messageId = importMessageId(fileKey, row, content);
  }
}
