/**
 * Autodate fields (`created`, `updated`): set by the server on create (`onCreate`) and/or on
 * update (`onUpdate`); client input is ignored. No `help` or `required` options.
 */
import { required, valuesMismatch } from './errors.ts';
import { BASE_OPTIONS, collectErrors, entry, validateCommonOptions } from './options.ts';
import { toDateString } from './date.ts';
import type { FieldDef } from '../../../db/schema.ts';
import type { FieldHandler } from './types.ts';

/** The value to store when a record is written: `now` when the field applies to this write. */
export function autodateValue(field: FieldDef, write: { isNew: boolean; current: string; now: string }): string {
  const applies = write.isNew ? field.onCreate === true : field.onUpdate === true;
  return applies ? write.now : write.current;
}

const neitherError = () => ({ ...required(), message: 'Either onCreate or onUpdate must be enabled.' });

const handler = {
  type: 'autodate',
  options: { ...BASE_OPTIONS, onCreate: 'bool', onUpdate: 'bool' },
  modifiers: [],
  columnKind: () => 'date',
  zero: () => '',
  decode: (_field, dbValue) => toDateString(dbValue),
  encode: (_field, value) => value,
  /** Client input never changes the value: the current one is kept. */
  normalize: (_field, _raw, ctx) => (typeof ctx?.current === 'string' ? ctx.current : ''),
  validate: () => undefined,
  validateOptions(field, ctx) {
    const old = ctx.original?.fields.find((f) => f.id === field.id && f.type === 'autodate');
    const onCreate = field.onCreate === true;
    const onUpdate = field.onUpdate === true;
    // A system autodate keeps the behaviour it was created with.
    const frozen = (key: 'onCreate' | 'onUpdate', v: boolean) =>
      field.system === true && old && (old[key] === true) !== v ? valuesMismatch() : undefined;
    return collectErrors(
      validateCommonOptions(field),
      entry('onCreate', frozen('onCreate', onCreate) ?? (!onCreate && !onUpdate ? neitherError() : undefined)),
      entry('onUpdate', frozen('onUpdate', onUpdate) ?? (!onCreate && !onUpdate ? neitherError() : undefined)),
    );
  },
} satisfies FieldHandler<string>;

/** Typed as the interface so callers see every parameter (the literal's own type is narrower). */
export const autodateField: FieldHandler<string> = handler;
