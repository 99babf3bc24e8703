import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isApiError } from '../kernel/errors.ts';
import { responseTooLarge } from '../domain/records/limits.ts';
import { jsonLengthBound, listJson, recordJson, type JsonBody } from './response-json.ts';

const text = (body: JsonBody): string => (typeof body === 'string' ? body : Buffer.concat(body).toString('utf8'));

const record = (id: string, extra: Record<string, unknown> = {}) => ({
  collectionId: 'pbc_1',
  collectionName: 'posts',
  id,
  title: `post ${id} "quoted" \u00e9\u{1f600}`,
  tags: ['a', 'b'],
  data: { nested: [1, null, true] },
  ...extra,
});

function refusal(write: () => unknown): unknown {
  try {
    write();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('record JSON under a byte limit', () => {
  it('writes exactly what JSON.stringify writes, expansions included', () => {
    const shared = record('s', { expand: { author: record('a'), empty: [] } });
    const withExpand = record('r', { created: undefined, expand: { related: [shared, shared], one: shared, gone: undefined } });
    const picked = Object.defineProperty({ id: 'p', expand: { one: record('z') } } as Record<string, unknown>, '__proto__', { value: 1, enumerable: true });
    for (const value of [record('x'), withExpand, { expand: {} }, { expand: 'not an object' }, picked, null, 'text', [record('y')]]) {
      expect(text(recordJson(value, 1 << 20))).toBe(JSON.stringify(value));
    }
    const envelope = { items: [record('1'), withExpand], page: 1, perPage: 30, totalItems: 2, totalPages: 1 };
    expect(text(listJson(envelope, envelope.items, 1 << 20))).toBe(JSON.stringify(envelope));
    expect(text(listJson({ items: [] }, [], 100))).toBe('{"items":[]}');
  });

  it('keeps a small body one string, and sends a large one as UTF-8 chunks', () => {
    expect(typeof recordJson(record('x'), 1 << 20)).toBe('string');
    const big = { items: Array.from({ length: 3000 }, (_, i) => record(String(i), { body: 'x'.repeat(1000) })) };
    const body = listJson(big, big.items, 64 << 20);
    expect(Array.isArray(body)).toBe(true);
    expect(text(body)).toBe(JSON.stringify(big));
  });

  it('writes runs of plain records, records with expand and records too large for a run alike', () => {
    const huge = record('huge', { body: '\u0001'.repeat(200_000) }); // bound past one run, written alone
    const expanded = record('e', { expand: { one: huge, many: [record('m1'), huge, record('m2')] } });
    const items = [record('1'), record('2'), huge, record('3'), expanded, record('4'), huge];
    const envelope = { page: 1, items, totalItems: 7 };
    expect(text(listJson(envelope, items, 64 << 20))).toBe(JSON.stringify(envelope));
    expect(text(recordJson(expanded, 64 << 20))).toBe(JSON.stringify(expanded));
  });

  it('counts UTF-8 bytes, not characters', () => {
    const value = { title: '\u00e9'.repeat(400) }; // 400 characters, 800 bytes
    const size = Buffer.byteLength(JSON.stringify(value));
    expect(text(recordJson(value, size))).toBe(JSON.stringify(value));
    expect(refusal(() => recordJson(value, size - 1))).toEqual(responseTooLarge(size - 1));
  });

  it('stops writing as soon as the body passes the limit', () => {
    let written = 0;
    // Each item reports when it is serialised: the refusal must come long before the end.
    const items = Array.from({ length: 10_000 }, (_, i) => ({ toJSON: () => (written++, { id: i, padding: 'x'.repeat(90) }) }));
    const error = refusal(() => listJson({ items }, items, 10_000));
    expect(isApiError(error) && error.status).toBe(400);
    expect(error).toEqual(responseTooLarge(10_000));
    expect(written).toBeLessThan(110);
  });

  it('refuses a page of plain records past the limit, and serves it under a larger one', () => {
    const items = Array.from({ length: 10_000 }, (_, i) => ({ id: i, padding: 'x'.repeat(90) }));
    expect(refusal(() => listJson({ items }, items, 10_000))).toEqual(responseTooLarge(10_000));
    expect(text(listJson({ items }, items, 2 << 20))).toBe(JSON.stringify({ items }));
  });

  it('bounds the JSON length of any value it batches', () => {
    // Escapes (control characters, lone surrogates, quotes) are where JSON grows most.
    const nasty = fc.string({ unit: fc.constantFrom('\u0000', '"', '\\', '\ud800', '\u{1f600}', 'a', '\u2028') });
    const value = fc.jsonValue().chain((v) => fc.oneof(fc.constant(v), fc.dictionary(nasty, fc.oneof(nasty, fc.constant(v), fc.double()))));
    fc.assert(
      fc.property(value, (v) => {
        expect(jsonLengthBound(v, Infinity)).toBeGreaterThanOrEqual(JSON.stringify(v).length);
      }),
    );
    expect(jsonLengthBound({ a: 'x'.repeat(100) }, 50)).toBe(Infinity);
    expect(jsonLengthBound({ toJSON: () => 1 }, 1000)).toBe(Infinity);
  });

  it('stops inside one record whose expansions pass the limit', () => {
    let written = 0;
    const related = { toJSON: () => (written++, { id: 'r', padding: 'x'.repeat(90) }) };
    const one = { id: 'big', expand: { related: Array.from({ length: 10_000 }, () => related) } };
    expect(refusal(() => recordJson(one, 10_000))).toEqual(responseTooLarge(10_000));
    expect(written).toBeLessThan(110);
  });
});
