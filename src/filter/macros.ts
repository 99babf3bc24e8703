import { formatDate } from '../kernel/time.ts';
import type { MacroName } from './ast.ts';

/**
 * Date macros, evaluated in UTC at compile time and bound as values. Datetimes use PocketBase's
 * stored format `YYYY-MM-DD HH:MM:SS.000Z`, so string comparison with date columns is ordering-safe.
 */
export function macroValue(name: MacroName, now: Date): string | number {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  const d = now.getUTCDate();
  const at = (...parts: [number, number, number, number?, number?, number?, number?]) => formatDate(new Date(Date.UTC(...parts)));
  const shiftDays = (days: number) => {
    const t = new Date(now.getTime());
    t.setUTCDate(t.getUTCDate() + days);
    return formatDate(t);
  };
  switch (name) {
    case '@now': return formatDate(now);
    case '@second': return now.getUTCSeconds();
    case '@minute': return now.getUTCMinutes();
    case '@hour': return now.getUTCHours();
    case '@weekday': return now.getUTCDay();
    case '@day': return d;
    case '@month': return m + 1;
    case '@year': return y;
    case '@yesterday': return shiftDays(-1);
    case '@tomorrow': return shiftDays(1);
    case '@todayStart': return at(y, m, d);
    case '@todayEnd': return at(y, m, d, 23, 59, 59, 999);
    case '@monthStart': return at(y, m, 1);
    // Day 0 of the next month is the last day of this one.
    case '@monthEnd': return at(y, m + 1, 0, 23, 59, 59, 999);
    case '@yearStart': return at(y, 0, 1);
    case '@yearEnd': return at(y, 11, 31, 23, 59, 59, 999);
  }
}
