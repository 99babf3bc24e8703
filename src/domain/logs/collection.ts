import { blankCollection, type Collection, type FieldDef, type FieldType, type SchemaLookup } from '../../db/schema.ts';

const field = (name: string, type: FieldType): FieldDef =>
  Object.freeze({ id: `_logs_${name}`, name, type, system: true, hidden: false, presentable: false });

/**
 * `_logs` described as a collection, so that the filter and sort compilers resolve its columns:
 * the fields PocketBase's logs API lets a filter read (`id`, `created`, `level`, `message`,
 * `data` and its paths `data.*`); `updated` is not among them, as in PocketBase. `data` is a JSON
 * field, so `data.status >= 400` reads a path of the document.
 */
export const LOGS_COLLECTION: Collection = Object.freeze(
  blankCollection({
    id: '_logs',
    name: '_logs',
    system: true,
    fields: [field('id', 'text'), field('created', 'text'), field('level', 'number'), field('message', 'text'), field('data', 'json')],
  }),
);

/** A schema holding only `_logs`: `@collection.*` in a logs filter names nothing. */
export const LOGS_SCHEMA: SchemaLookup = Object.freeze({
  find: (idOrName: string) => (idOrName.toLowerCase() === '_logs' ? LOGS_COLLECTION : undefined),
  all: () => [LOGS_COLLECTION],
});
