/**
 * GeoPoint fields: `{lon, lat}` in degrees, stored as JSON text; {0, 0} counts as empty.
 * Input is read like Go decodes JSON into the point: keys match case-insensitively, a key with
 * a non-number value is left at 0, anything that is not an object gives {0, 0}.
 */
import { fieldError } from '../../../kernel/errors.ts';
import { toGoString } from './cast.ts';
import { required } from './errors.ts';
import { collectErrors, COMMON_OPTIONS, validateCommonOptions } from './options.ts';
import type { FieldHandler, GeoPoint } from './types.ts';

function coordinate(obj: Record<string, unknown>, key: 'lon' | 'lat'): number {
  const k = key in obj ? key : Object.keys(obj).find((x) => x.toLowerCase() === key);
  const v = k === undefined ? undefined : obj[k];
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

export function toGeoPoint(raw: unknown): GeoPoint {
  let v = raw;
  if (typeof v === 'string' || v instanceof Uint8Array) {
    const text = toGoString(v);
    try {
      v = text === '' ? null : JSON.parse(text);
    } catch {
      v = null;
    }
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return { lon: 0, lat: 0 };
  const obj = v as Record<string, unknown>;
  return { lon: coordinate(obj, 'lon'), lat: coordinate(obj, 'lat') };
}

const handler = {
  type: 'geoPoint',
  options: COMMON_OPTIONS,
  modifiers: [],
  columnKind: () => 'geoPoint',
  zero: (): GeoPoint => ({ lon: 0, lat: 0 }),
  decode: (_field, dbValue) => toGeoPoint(dbValue),
  encode: (_field, value) => JSON.stringify({ lon: value.lon, lat: value.lat }),
  normalize: (_field, raw) => toGeoPoint(raw),
  validate(field, value) {
    if (value.lat === 0 && value.lon === 0) return field.required ? required() : undefined;
    if (value.lat < -90 || value.lat > 90) {
      return fieldError('validation_invalid_latitude', 'Latitude must be between -90 and 90 degrees.');
    }
    if (value.lon < -180 || value.lon > 180) {
      return fieldError('validation_invalid_longitude', 'Longitude must be between -180 and 180 degrees.');
    }
    return undefined;
  },
  validateOptions: (field) => collectErrors(validateCommonOptions(field)),
} satisfies FieldHandler<GeoPoint>;

/** Typed as the interface so callers see every parameter (the literal's own type is narrower). */
export const geoPointField: FieldHandler<GeoPoint> = handler;
