import { describe, expect, it } from 'vitest';
import { CronSyntaxError, parseCron } from './cron.ts';

describe("parseCron (PocketBase's tools/cron)", () => {
  it('expands lists, ranges, steps and macros', () => {
    const s = parseCron('*/20 1-5/2,23 1 * 0');
    expect([...s.minutes]).toEqual([0, 20, 40]);
    expect([...s.hours]).toEqual([1, 3, 5, 23]);
    expect([...s.days]).toEqual([1]);
    expect(s.months.size).toBe(12);
    expect([...s.daysOfWeek]).toEqual([0]);
    expect(parseCron('@weekly')).toEqual(parseCron('0 0 * * 0'));
  });

  it.each([
    ['', 'invalid cron expression - must be a valid macro or to have exactly 5 space separated segments'],
    ['constructor', 'invalid cron expression - must be a valid macro or to have exactly 5 space separated segments'],
    ['* * * *  *', 'invalid cron expression - must be a valid macro or to have exactly 5 space separated segments'],
    ['60 * * * *', 'invalid segment value - must be between the min and max of the segment'],
    ['5/2 * * * *', 'invalid segment step - step > 1 could be used only with the wildcard or range format'],
    ['*/2/3 * * * *', 'invalid segment step format - must be in the format */n or 1-30/n'],
    ['* 5-2 * * *', 'invalid segment range maximum - must be between 5 and 23'],
    ['* * 0-3 * *', 'invalid segment range minimum - must be between 1 and 31'],
    ['* * * 1-2-3 *', 'invalid segment range format - the range must have 1 or 2 parts'],
    ['* * * * */7', 'invalid segment step boundary - the step must be between 1 and the 6'],
    ['a * * * *', 'strconv.Atoi: parsing "a": invalid syntax'],
  ])('refuses %j: %s', (expression, message) => {
    expect(() => parseCron(expression)).toThrow(new CronSyntaxError(message));
  });
});
