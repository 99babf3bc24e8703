// The field types Baton stores (src/domain/collections/fields) and their options, as data: the
// fields editor renders an input per option from this table.

export type OptionKind = 'bool' | 'int' | 'number?' | 'string' | 'strings?' | 'date' | 'collection';

export interface OptionSpec {
  key: string;
  kind: OptionKind;
  label: string;
  hint?: string;
}

export interface FieldTypeSpec {
  type: string;
  label: string;
  /** The type-specific options; `required`, `hidden`, `presentable` and `help` are common to all but autodate. */
  options: OptionSpec[];
  /** What a new field of this type starts with. */
  defaults?: Record<string, unknown>;
}

const domains: OptionSpec[] = [
  { key: 'onlyDomains', kind: 'strings?', label: 'Only domains', hint: 'Comma-separated; empty allows all.' },
  { key: 'exceptDomains', kind: 'strings?', label: 'Except domains', hint: 'Comma-separated.' },
];

export const FIELD_TYPES: readonly FieldTypeSpec[] = [
  {
    type: 'text',
    label: 'Plain text',
    options: [
      { key: 'min', kind: 'int', label: 'Min length', hint: '0 for no minimum.' },
      { key: 'max', kind: 'int', label: 'Max length', hint: '0 for the default (5000).' },
      { key: 'pattern', kind: 'string', label: 'Validation pattern', hint: 'A regular expression, e.g. ^[a-z]+$' },
      { key: 'autogeneratePattern', kind: 'string', label: 'Autogenerate pattern', hint: 'e.g. [a-z0-9]{15}' },
    ],
  },
  { type: 'editor', label: 'Rich editor', options: [{ key: 'maxSize', kind: 'int', label: 'Max size (bytes)', hint: '0 for the default.' }, { key: 'convertURLs', kind: 'bool', label: 'Convert URLs to relative' }] },
  {
    type: 'number',
    label: 'Number',
    options: [
      { key: 'min', kind: 'number?', label: 'Min' },
      { key: 'max', kind: 'number?', label: 'Max' },
      { key: 'onlyInt', kind: 'bool', label: 'Integers only' },
    ],
  },
  { type: 'bool', label: 'Bool', options: [] },
  { type: 'email', label: 'Email', options: domains },
  { type: 'url', label: 'URL', options: domains },
  {
    type: 'date',
    label: 'Date/time',
    options: [
      { key: 'min', kind: 'date', label: 'Min date', hint: 'YYYY-MM-DD HH:MM:SS.000Z, or empty.' },
      { key: 'max', kind: 'date', label: 'Max date', hint: 'YYYY-MM-DD HH:MM:SS.000Z, or empty.' },
    ],
  },
  {
    type: 'autodate',
    label: 'Autodate',
    options: [
      { key: 'onCreate', kind: 'bool', label: 'Set on create' },
      { key: 'onUpdate', kind: 'bool', label: 'Set on update' },
    ],
    defaults: { onCreate: true, onUpdate: false },
  },
  {
    type: 'select',
    label: 'Select',
    options: [
      { key: 'values', kind: 'strings?', label: 'Choices', hint: 'Comma-separated, e.g. draft, published' },
      { key: 'maxSelect', kind: 'int', label: 'Max select', hint: '1 for a single value.' },
    ],
    defaults: { values: [], maxSelect: 1 },
  },
  {
    type: 'file',
    label: 'File',
    options: [
      { key: 'maxSelect', kind: 'int', label: 'Max files', hint: '1 for a single file.' },
      { key: 'maxSize', kind: 'int', label: 'Max size (bytes)', hint: '0 for the default (5 MB).' },
      { key: 'mimeTypes', kind: 'strings?', label: 'Allowed MIME types', hint: 'Comma-separated; empty allows all.' },
      { key: 'thumbs', kind: 'strings?', label: 'Thumb sizes', hint: 'Comma-separated, e.g. 100x100, 0x300' },
      { key: 'protected', kind: 'bool', label: 'Protected (needs a file token)' },
    ],
    defaults: { maxSelect: 1 },
  },
  {
    type: 'relation',
    label: 'Relation',
    options: [
      { key: 'collectionId', kind: 'collection', label: 'Related collection' },
      { key: 'minSelect', kind: 'int', label: 'Min select' },
      { key: 'maxSelect', kind: 'int', label: 'Max select', hint: '1 for a single relation.' },
      { key: 'cascadeDelete', kind: 'bool', label: 'Cascade delete' },
    ],
    defaults: { maxSelect: 1 },
  },
  { type: 'json', label: 'JSON', options: [{ key: 'maxSize', kind: 'int', label: 'Max size (bytes)', hint: '0 for the default (1 MB).' }] },
  { type: 'geoPoint', label: 'Geo point', options: [] },
  {
    type: 'password',
    label: 'Password',
    options: [
      { key: 'min', kind: 'int', label: 'Min length' },
      { key: 'max', kind: 'int', label: 'Max length' },
      { key: 'pattern', kind: 'string', label: 'Validation pattern' },
      { key: 'cost', kind: 'int', label: 'Bcrypt cost', hint: '0 for the default.' },
    ],
  },
];

export function fieldTypeSpec(type: string): FieldTypeSpec | undefined {
  return FIELD_TYPES.find((t) => t.type === type);
}
