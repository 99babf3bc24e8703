import { describe, expect, it } from 'vitest';
import { ReplayLog } from './replay.ts';
import type { RecordChangeMessage } from './changes.ts';

const change = (id: string): RecordChangeMessage => ({ action: 'create', collectionId: 'c', record: { id } });

describe('ReplayLog', () => {
  it('numbers changes, and gives back those after a position up to another', () => {
    const log = new ReplayLog({ maxEvents: 10, maxAgeMs: 60_000 });
    expect(log.position).toBe(0);
    for (const id of ['a', 'b', 'c']) log.append(change(id));
    expect(log.position).toBe(3);
    expect(log.since(1, 3)?.map((e) => [e.seq, e.message.record.id])).toEqual([[2, 'b'], [3, 'c']]);
    expect(log.since(0, 2)?.map((e) => e.seq)).toEqual([1, 2]);
    expect(log.since(3, 3)).toEqual([]);
    // A position past the latest is not one of this log's.
    expect(log.since(4, 3)).toBeUndefined();
  });

  it('reads only its own ids: this stream, a whole number, not ahead of the log', () => {
    const log = new ReplayLog();
    log.append(change('a'));
    expect(log.parse(log.idOf(1))).toBe(1);
    expect(log.parse(log.idOf(0))).toBe(0);
    expect(log.parse(log.idOf(2))).toBeUndefined();
    expect(log.parse(`other123.1`)).toBeUndefined();
    expect(log.parse(`${log.stream}.1e3`)).toBeUndefined();
    expect(log.parse(`${log.stream}.-1`)).toBeUndefined();
    expect(log.parse('')).toBeUndefined();
  });

  it('keeps at most maxEvents, and nothing older than maxAgeMs: a gap is undefined, not a partial list', () => {
    let now = 0;
    const log = new ReplayLog({ maxEvents: 3, maxAgeMs: 1000 }, () => now);
    for (let i = 0; i < 5; i++) log.append(change(String(i)));
    expect(log.since(1, 5)).toBeUndefined();
    expect(log.since(2, 5)?.map((e) => e.seq)).toEqual([3, 4, 5]);
    now = 2000;
    expect(log.since(4, 5)).toBeUndefined();
    expect(log.since(5, 5)).toEqual([]);
    const off = new ReplayLog({ maxEvents: 0, maxAgeMs: 1000 });
    off.append(change('a'));
    expect(off.since(0, 1)).toBeUndefined();
  });

  it('keeps the changes within maxBytes, and none larger than the whole bound', () => {
    const big = (id: string, chars: number): RecordChangeMessage => ({ action: 'update', collectionId: 'c', record: { id, body: 'x'.repeat(chars) } });
    const log = new ReplayLog({ maxEvents: 1000, maxAgeMs: 60_000, maxBytes: 1 << 20 });
    // 100 KB of text is ~200 KB as counted: five fit in 1 MiB, the oldest go first.
    for (let i = 1; i <= 8; i++) log.append(big(String(i), 100_000));
    expect(log.since(2, 8)).toBeUndefined();
    expect(log.since(4, 8)?.map((e) => e.seq)).toEqual([5, 6, 7, 8]);
    // Larger than the whole bound: not kept, and nothing before it can be continued across it.
    log.append(big('huge', 1_000_000));
    expect(log.since(8, 9)).toBeUndefined();
    expect(log.since(9, 9)).toEqual([]);
    log.append(change('small'));
    expect(log.since(9, 10)?.map((e) => e.message.record.id)).toEqual(['small']);
  });

  it("remembers an ended client's position for the window's age", () => {
    let now = 0;
    const log = new ReplayLog({ maxEvents: 3, maxAgeMs: 1000 }, () => now);
    log.clientEnded('client1', 7);
    expect(log.endedClient('client1')).toBe(7);
    now = 1500;
    expect(log.endedClient('client1')).toBeUndefined();
  });
});
