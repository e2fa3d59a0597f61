// Parameters of a compiled rule. User values never enter the SQL text: each is a slot, and
// the times derived from `now` (window starts) are slots computed when the query is bound,
// so one compiled text serves every evaluation time.
import type { ParamType, SqlDialect } from './dialect.ts';

type Slot =
  | { kind: 'value'; value: string | number }
  | { kind: 'now' }
  /** now minus a duration, for "in the last N" windows. */
  | { kind: 'before_now'; ms: number };

export class SqlParams {
  private readonly slots: Slot[] = [{ kind: 'now' }];

  constructor(private readonly dialect: SqlDialect) {}

  /** $1: the evaluation time. */
  now(): string {
    return this.dialect.param(1, 'timestamp');
  }

  text(value: string): string {
    return this.add({ kind: 'value', value }, 'text');
  }

  number(value: number): string {
    return this.add({ kind: 'value', value }, 'number');
  }

  /** A fixed instant, as a canonical UTC ISO string. */
  instant(iso: string): string {
    return this.add({ kind: 'value', value: iso }, 'timestamp');
  }

  beforeNow(ms: number): string {
    return this.add({ kind: 'before_now', ms }, 'timestamp');
  }

  /** A JSON field name, in the form the dialect's field access reads. */
  jsonKey(key: string): string {
    return this.text(this.dialect.jsonKeyArgument(key));
  }

  private add(slot: Slot, type: ParamType): string {
    this.slots.push(slot);
    return this.dialect.param(this.slots.length, type);
  }

  /** The parameter values for evaluation time `now`. */
  valuesAt(now: Date): Array<string | number> {
    const nowMs = now.getTime();
    return this.slots.map((slot) => {
      if (slot.kind === 'now') return now.toISOString();
      if (slot.kind === 'before_now') return new Date(nowMs - slot.ms).toISOString();
      return slot.value;
    });
  }
}
