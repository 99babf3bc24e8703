import { describe, expect, it } from 'vitest';
import { ReplayLog } from './replay.ts';
import type { RecordChangeMessage } from './changes.ts';

const change = (id: string): RecordChangeMessage => ({ action: 'create', collectionId: 'c', record: { id } });
/** The positions after `from` up to `upTo`. */
const after = (from: number, upTo: number): number[] => Array.from({ length: Math.max(0, upTo - from) }, (_, i) => from + 1 + i);

describe('ReplayLog', () => {
  it('numbers changes, and gives back those after a position up to another', () => {
    const log = new ReplayLog({ maxEvents: 10, maxAgeMs: 60_000 });
    expect(log.position).toBe(0);
    for (const id of ['a', 'b', 'c']) log.append(change(id));
    expect(log.position).toBe(3);
    expect(log.entriesAt(after(1, 3))?.map((e) => [e.seq, e.message.record.id])).toEqual([[2, 'b'], [3, 'c']]);
    expect(log.entriesAt(after(0, 2))?.map((e) => e.seq)).toEqual([1, 2]);
    expect(log.entriesAt(after(3, 3))).toEqual([]);
    expect(log.entriesAt([1, 3])?.map((e) => e.seq)).toEqual([1, 3]);
    // A position past the latest is not one of this log's.
    expect(log.entriesAt([4])).toBeUndefined();
  });

  it('reads only its own ids: this stream, a whole number not ahead of the log, a client id', () => {
    const log = new ReplayLog();
    log.append(change('a'));
    expect(log.idOf(1, 'client1')).toBe(`${log.stream}.1.client1`);
    expect(log.parse(log.idOf(1, 'client1'))).toEqual({ seq: 1, clientId: 'client1' });
    expect(log.parse(log.idOf(0, 'c'))).toEqual({ seq: 0, clientId: 'c' });
    expect(log.parse(log.idOf(2, 'c'))).toBeUndefined();
    expect(log.parse(`other123.1.c`)).toBeUndefined();
    expect(log.parse(`${log.stream}.1`)).toBeUndefined();
    expect(log.parse(`${log.stream}.1e3.c`)).toBeUndefined();
    expect(log.parse(`${log.stream}.-1.c`)).toBeUndefined();
    expect(log.parse(`${log.stream}.1.c-d`)).toBeUndefined();
    expect(log.parse('')).toBeUndefined();
  });

  it('keeps at most maxEvents, and nothing older than maxAgeMs: a gap is undefined, not a partial list', () => {
    let now = 0;
    const log = new ReplayLog({ maxEvents: 3, maxAgeMs: 1000 }, () => now);
    for (let i = 0; i < 5; i++) log.append(change(String(i)));
    expect(log.entriesAt(after(1, 5))).toBeUndefined();
    expect(log.entriesAt(after(2, 5))?.map((e) => e.seq)).toEqual([3, 4, 5]);
    now = 2000;
    expect(log.entriesAt(after(4, 5))).toBeUndefined();
    expect(log.entriesAt(after(5, 5))).toEqual([]);
    const off = new ReplayLog({ maxEvents: 0, maxAgeMs: 1000 });
    off.append(change('a'));
    expect(off.entriesAt(after(0, 1))).toBeUndefined();
  });

  it('keeps the changes within maxBytes, and none larger than the whole bound', () => {
    const big = (id: string, chars: number): RecordChangeMessage => ({ action: 'update', collectionId: 'c', record: { id, body: 'x'.repeat(chars) } });
    const log = new ReplayLog({ maxEvents: 1000, maxAgeMs: 60_000, maxBytes: 1 << 20 });
    // 100 KB of text is ~200 KB as counted: five fit in 1 MiB, the oldest go first.
    for (let i = 1; i <= 8; i++) log.append(big(String(i), 100_000));
    expect(log.entriesAt(after(2, 8))).toBeUndefined();
    expect(log.entriesAt(after(4, 8))?.map((e) => e.seq)).toEqual([5, 6, 7, 8]);
    // Larger than the whole bound: not kept, and nothing before it can be continued across it.
    log.append(big('huge', 1_000_000));
    expect(log.entriesAt(after(8, 9))).toBeUndefined();
    expect(log.entriesAt(after(9, 9))).toEqual([]);
    log.append(change('small'));
    expect(log.entriesAt(after(9, 10))?.map((e) => e.message.record.id)).toEqual(['small']);
  });

});
