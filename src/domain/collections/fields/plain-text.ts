import type { ColumnKind } from '../../../db/dialect.ts';
import type { FieldDef } from '../../../db/schema.ts';
import { toGoString } from './cast.ts';
import type { Modifier } from './types.ts';

/**
 * The value handling shared by fields stored as one plain text column (email, url, editor,
 * password): '' when empty, any input read as a string the way Go's cast does. Handlers spread
 * it and add their own options and validation.
 */
export const plainTextValue = {
  modifiers: [] as readonly Modifier[],
  columnKind: (): ColumnKind => 'text',
  zero: (): string => '',
  decode: (_field: FieldDef, dbValue: unknown): string => toGoString(dbValue),
  encode: (_field: FieldDef, value: string): string => value,
  normalize: (_field: FieldDef, raw: unknown): string => toGoString(raw),
};
