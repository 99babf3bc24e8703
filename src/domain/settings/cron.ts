/**
 * PocketBase's cron expressions (tools/cron): a macro or five space-separated segments (minute,
 * hour, day of month, month, day of week), each a list of `*`, `n`, `a-b`, `* /n` or `a-b/n`.
 * The errors carry PocketBase's wording, which the settings API returns as the message.
 */

export interface CronSchedule {
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly days: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  readonly daysOfWeek: ReadonlySet<number>;
}

export class CronSyntaxError extends Error {
  override name = 'CronSyntaxError';
}

const MACROS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** Go's strconv.Atoi, with its error text. */
function atoi(text: string): number {
  if (!/^[+-]?\d+$/.test(text)) throw new CronSyntaxError(`strconv.Atoi: parsing ${JSON.stringify(text)}: invalid syntax`);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new CronSyntaxError(`strconv.Atoi: parsing ${JSON.stringify(text)}: value out of range`);
  return n;
}

function parseSegment(segment: string, min: number, max: number): Set<number> {
  const slots = new Set<number>();
  for (const part of segment.split(',')) {
    const stepParts = part.split('/');
    let step = 1;
    if (stepParts.length === 2) {
      step = atoi(stepParts[1]);
      if (step < 1 || step > max) {
        throw new CronSyntaxError(`invalid segment step boundary - the step must be between 1 and the ${max}`);
      }
    } else if (stepParts.length !== 1) {
      throw new CronSyntaxError('invalid segment step format - must be in the format */n or 1-30/n');
    }
    let from = min;
    let to = max;
    if (stepParts[0] !== '*') {
      const range = stepParts[0].split('-');
      if (range.length === 1) {
        if (step !== 1) throw new CronSyntaxError('invalid segment step - step > 1 could be used only with the wildcard or range format');
        from = to = atoi(range[0]);
        if (from < min || from > max) throw new CronSyntaxError('invalid segment value - must be between the min and max of the segment');
      } else if (range.length === 2) {
        from = atoi(range[0]);
        if (from < min || from > max) throw new CronSyntaxError(`invalid segment range minimum - must be between ${min} and ${max}`);
        to = atoi(range[1]);
        if (to < from || to > max) throw new CronSyntaxError(`invalid segment range maximum - must be between ${from} and ${max}`);
      } else {
        throw new CronSyntaxError('invalid segment range format - the range must have 1 or 2 parts');
      }
    }
    for (let i = from; i <= to; i += step) slots.add(i);
  }
  return slots;
}

/** Parses a cron expression; throws CronSyntaxError with PocketBase's message. */
export function parseCron(expression: string): CronSchedule {
  const segments = (Object.hasOwn(MACROS, expression) ? MACROS[expression] : expression).split(' ');
  if (segments.length !== 5) {
    throw new CronSyntaxError('invalid cron expression - must be a valid macro or to have exactly 5 space separated segments');
  }
  return {
    minutes: parseSegment(segments[0], 0, 59),
    hours: parseSegment(segments[1], 0, 23),
    days: parseSegment(segments[2], 1, 31),
    months: parseSegment(segments[3], 1, 12),
    daysOfWeek: parseSegment(segments[4], 0, 6),
  };
}
