import { describe, expect, it } from 'vitest';
import { ConsoleSlots, splitStatements } from './superuser-sql.ts';

describe('splitStatements', () => {
  it('splits at top-level semicolons only', () => {
    expect(splitStatements('select 1; select 2;')).toEqual(['select 1', 'select 2']);
    expect(splitStatements(" select ';' ; select \"a;b\" ; select `c;d`; select [e;f] ")).toEqual([
      "select ';'",
      'select "a;b"',
      'select `c;d`',
      'select [e;f]',
    ]);
    expect(splitStatements("select 'it''s; fine'; select 2")).toEqual(["select 'it''s; fine'", 'select 2']);
    expect(splitStatements('select 1 -- a; comment\n; select 2 /* b; */')).toEqual(['select 1 -- a; comment', 'select 2 /* b; */']);
    expect(splitStatements('select $$a;b$$; select $tag$c;d$tag$; select $1')).toEqual(['select $$a;b$$', 'select $tag$c;d$tag$', 'select $1']);
    expect(splitStatements(' ; ;; ')).toEqual([]);
    // An unterminated quote runs to the end: one statement, which the database then refuses.
    expect(splitStatements("select 'a; select 2")).toEqual(["select 'a; select 2"]);
  });
});

describe('ConsoleSlots', () => {
  it('runs at most `max` at once, queues `maxWaiting`, refuses the rest', async () => {
    const slots = new ConsoleSlots(2, 1);
    let running = 0;
    let peak = 0;
    const releases: Array<() => void> = [];
    const job = () =>
      slots.run(async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise<void>((resolve) => releases.push(resolve));
        running--;
      });
    const a = job();
    const b = job();
    const c = job();
    await expect(job()).rejects.toThrow(/busy/);
    await Promise.resolve();
    expect(releases).toHaveLength(2);
    releases.shift()!();
    await a;
    await new Promise((r) => setTimeout(r, 0));
    expect(releases).toHaveLength(2);
    for (const r of releases.splice(0)) r();
    await b;
    await c;
    expect(peak).toBe(2);
  });
});
