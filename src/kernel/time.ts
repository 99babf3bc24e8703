/**
 * PocketBase stores and serializes datetimes as `2006-01-02 15:04:05.000Z` (UTC, millisecond precision).
 */
export function formatDate(d: Date): string {
  return d.toISOString().replace('T', ' ');
}

export const nowString = (): string => formatDate(new Date());

/**
 * Parses the datetime forms PocketBase accepts (RFC 3339 with `T` or space, with or without
 * fraction and zone, plain dates) into the canonical string; returns '' for empty input and
 * null for anything unparsable.
 */
export function normalizeDate(input: unknown): string | null {
  if (input === null || input === undefined || input === '') return '';
  if (input instanceof Date) return Number.isNaN(input.getTime()) ? null : formatDate(input);
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return null;
    return formatDate(new Date(input * 1000));
  }
  if (typeof input !== 'string') return null;
  const s = input.trim();
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(s);
  if (!m) return null;
  const [, y, mo, d, h = '00', mi = '00', sec = '00', frac = '', zone = 'Z'] = m;
  const ms = (frac + '000').slice(0, 3);
  const z = zone.toUpperCase() === 'Z' ? 'Z' : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
  const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${sec}.${ms}${z}`);
  if (Number.isNaN(date.getTime())) return null;
  // Reject overflowing components that Date would silently roll over (e.g. 2024-02-31).
  if (z === 'Z' && (date.getUTCDate() !== Number(d) || date.getUTCMonth() + 1 !== Number(mo))) return null;
  return formatDate(date);
}
