/**
 * PocketBase keeps dates as UTC text, `YYYY-MM-DD HH:MM:SS.sssZ`; `<input type="datetime-local">`
 * works in local time without a zone. These convert between the two.
 */

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** `2024-05-01 10:00:00.000Z` -> local `2024-05-01T12:00:00` ('' when empty or unreadable). */
export function toLocalInput(value: string | null | undefined): string {
  if (!value) return '';
  const d = new Date(value.replace(' ', 'T'));
  if (Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Local `2024-05-01T12:00` or `…T12:00:30` -> `2024-05-01 10:00:00.000Z` ('' when empty). */
export function fromLocalInput(value: string): string {
  if (!value) return '';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return '';
  return d.toISOString().replace('T', ' ');
}

/** A stored date shown in the viewer's zone, compactly. */
export function displayDate(value: string | null | undefined): string {
  const local = toLocalInput(value);
  return local ? local.replace('T', ' ') : '';
}
