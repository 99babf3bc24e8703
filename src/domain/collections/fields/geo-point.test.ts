import { describe, expect, test } from 'vitest';
import { geoPointField } from './geo-point.ts';
import { created, field } from './test-support.ts';

const f = field('geoPoint');

describe('geoPoint normalize / decode', () => {
  test.each<[unknown, { lon: number; lat: number }]>([
    [{ lon: 23.33, lat: 42.65 }, { lon: 23.33, lat: 42.65 }],
    ['{"lon":1,"lat":2}', { lon: 1, lat: 2 }],
    [{ LON: 5, Lat: 6 }, { lon: 5, lat: 6 }],
    [{ lon: '5', lat: 6 }, { lon: 0, lat: 6 }],
    [{ lat: 1 }, { lon: 0, lat: 1 }],
    [null, { lon: 0, lat: 0 }],
    ['', { lon: 0, lat: 0 }],
    ['nope', { lon: 0, lat: 0 }],
    [[1, 2], { lon: 0, lat: 0 }],
    [12, { lon: 0, lat: 0 }],
  ])('%j -> %j', (raw, out) => {
    expect(geoPointField.normalize(f, raw)).toEqual(out);
    expect(geoPointField.decode(f, typeof raw === 'object' && raw !== null ? JSON.stringify(raw) : raw)).toEqual(out);
  });

  test('encode writes lon first, then lat', () => {
    expect(geoPointField.encode(f, { lat: 2, lon: 1 })).toBe('{"lon":1,"lat":2}');
    expect(geoPointField.decode(f, geoPointField.encode(f, { lon: -3.5, lat: 7 }))).toEqual({ lon: -3.5, lat: 7 });
  });
});

describe('geoPoint validate', () => {
  test.each<[Record<string, unknown>, { lon: number; lat: number }, string | undefined, string | undefined]>([
    [{}, { lon: 0, lat: 0 }, undefined, undefined],
    [{ required: true }, { lon: 0, lat: 0 }, 'validation_required', 'Cannot be blank.'],
    [{ required: true }, { lon: 0, lat: 1 }, undefined, undefined],
    [{}, { lon: 0, lat: 91 }, 'validation_invalid_latitude', 'Latitude must be between -90 and 90 degrees.'],
    [{}, { lon: 0, lat: -90.5 }, 'validation_invalid_latitude', 'Latitude must be between -90 and 90 degrees.'],
    [{}, { lon: 180.1, lat: 0 }, 'validation_invalid_longitude', 'Longitude must be between -180 and 180 degrees.'],
    [{}, { lon: -180, lat: 90 }, undefined, undefined],
  ])('%j with %j -> %s', (options, value, code, message) => {
    const err = geoPointField.validate(field('geoPoint', options), value, created);
    expect(err?.code).toBe(code);
    expect(err?.message).toBe(message);
  });
});
