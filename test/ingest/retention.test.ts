// What compaction may remove, as pure rules: the readers' limit (a reader without an offset
// holds everything), the removable prefix of a chunk, the retention cutoff; and how the CLI
// writes a duration back.
import { describe, expect, it } from 'vitest';
import { formatDuration, readerLimit, removablePrefix, retentionCutoff } from '../../src/ingest/index.ts';

const REQUIRED = ['journeys', 'profiles', 'segments', 'warehouse'];
const at = (minute: number) => new Date(Date.UTC(2024, 2, 1, 10, minute)).toISOString();
const cutoffAt = (minute: number) => Date.UTC(2024, 2, 1, 10, minute);

describe('readerLimit', () => {
  it('is the lowest offset, naming every reader standing there', () => {
    expect(readerLimit({ profiles: 9, warehouse: 7, segments: 7, journeys: 8 }, REQUIRED)).toEqual({
      seq: 7,
      heldBackBy: ['segments', 'warehouse'],
    });
  });

  it('counts a required reader with no offset as 0, so nothing goes', () => {
    expect(readerLimit({ profiles: 9, warehouse: 9, segments: 9 }, REQUIRED)).toEqual({
      seq: 0,
      heldBackBy: ['journeys'],
    });
  });

  it('includes readers beyond the required ones', () => {
    expect(readerLimit({ profiles: 9, warehouse: 9, segments: 9, journeys: 9, replay: 4 }, REQUIRED)).toEqual(
      {
        seq: 4,
        heldBackBy: ['replay'],
      },
    );
  });

  it('knows nothing is read when there are no readers at all', () => {
    expect(readerLimit({}, [])).toEqual({ seq: 0, heldBackBy: [] });
  });
});

describe('removablePrefix', () => {
  const chunk = [1, 2, 3, 4, 5].map((seq) => ({ seq, receivedAt: at(seq) }));

  it('takes the whole chunk when every entry is read and old enough', () => {
    expect(removablePrefix(chunk, { throughSeq: 10, cutoffMs: cutoffAt(30) })).toEqual({
      throughSeq: 5,
      count: 5,
      reachedLimit: false,
    });
  });

  it('stops at the readers’ limit', () => {
    expect(removablePrefix(chunk, { throughSeq: 3, cutoffMs: cutoffAt(30) })).toEqual({
      throughSeq: 3,
      count: 3,
      reachedLimit: true,
    });
  });

  it('stops at the first entry received at or after the cutoff, whatever follows it', () => {
    const outOfOrder = [
      { seq: 1, receivedAt: at(1) },
      { seq: 2, receivedAt: at(20) },
      { seq: 3, receivedAt: at(2) },
    ];
    expect(removablePrefix(outOfOrder, { throughSeq: 10, cutoffMs: cutoffAt(20) })).toEqual({
      throughSeq: 1,
      count: 1,
      reachedLimit: true,
    });
  });

  it('removes nothing when the first entry must stay, or the chunk is empty', () => {
    expect(removablePrefix(chunk, { throughSeq: 0, cutoffMs: cutoffAt(30) }).throughSeq).toBeNull();
    expect(removablePrefix(chunk, { throughSeq: 10, cutoffMs: cutoffAt(1) }).throughSeq).toBeNull();
    expect(removablePrefix([], { throughSeq: 10, cutoffMs: cutoffAt(30) })).toEqual({
      throughSeq: null,
      count: 0,
      reachedLimit: false,
    });
  });

  it('keeps an entry whose receivedAt cannot be read', () => {
    expect(
      removablePrefix([{ seq: 1, receivedAt: 'yesterday' }], { throughSeq: 10, cutoffMs: cutoffAt(30) })
        .throughSeq,
    ).toBeNull();
  });
});

describe('retentionCutoff', () => {
  it('is now minus the retention, and never for forever', () => {
    const now = new Date(cutoffAt(30));
    expect(retentionCutoff(now, 10 * 60_000)).toBe(cutoffAt(20));
    expect(retentionCutoff(now, 0)).toBe(cutoffAt(30));
    expect(retentionCutoff(now, null)).toBe(Number.NEGATIVE_INFINITY);
  });
});

describe('formatDuration', () => {
  it('writes the largest whole unit, as the setting is written', () => {
    expect(formatDuration(7 * 86_400_000)).toBe('7d');
    expect(formatDuration(36 * 3_600_000)).toBe('36h');
    expect(formatDuration(90 * 60_000)).toBe('90m');
    expect(formatDuration(0)).toBe('0');
    expect(formatDuration(null)).toBe('forever');
    expect(formatDuration(1500)).toBe('1500ms');
  });
});
