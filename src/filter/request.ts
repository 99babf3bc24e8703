import { ident, sql, type Sql, value } from '../db/sql.ts';
import { type FieldDef, fieldByName, isMultiValue } from '../db/schema.ts';
import { type CompileContext, NULL_OPERAND, type Operand, type RowRef, type Scope, boolOperand, operand, typeOfValue } from './context.ts';
import { fail, quote } from './errors.ts';
import { type Walk, bodyChanged, privateVisibility, sharedCollectionJoin, splitModifier, walk } from './paths.ts';
import { bindable, castToString, extractNested, parseNumeric, toSlice, toUniqueStrings } from './values.ts';

/**
 * `@request.*` paths. Request data is known at compile time, so it is bound as values; only
 * relation traversal (from the auth record or from submitted relation ids) reaches the database.
 */

/** Auth fields read directly from the request rather than through the auth collection. */
const PLAIN_AUTH_FIELDS = new Set(['id', 'collectionId', 'collectionName', 'email', 'emailVisibility', 'verified']);

export function requestPath(scope: Scope, props: readonly string[]): Operand {
  const { request } = scope.ctx;
  if (props[1] === 'auth') {
    if (!request.auth) return NULL_OPERAND;
    if (props.length === 3 && PLAIN_AUTH_FIELDS.has(props[2])) return staticValue(scope, props.slice(1));
    // Other auth fields read the auth record's stored values, bound, as if it were a joined row.
    const row: RowRef = { kind: 'bound', values: request.auth.record };
    const w: Walk = {
      collection: request.auth.collection, main: row, mainKey: `${scope.keyPrefix}@request.auth`,
      mmStart: row, mmHops: [], multi: false, nullify: true,
    };
    return walk(scope, w, props.slice(2));
  }
  if (props[1] === 'body' && props.length > 2) {
    const [fieldName, modifier] = splitModifier(props[2]);
    const field = fieldByName(scope.collection, fieldName);
    if (field) {
      if (field.type === 'relation' && props.length > 3) return bodyRelation(scope, field, props);
      if (props.length === 3) {
        switch (modifier) {
          case 'each': return bodyEach(scope, field);
          case 'length': return bodyLength(scope, field);
          case 'lower': return bodyLower(scope, field);
          case 'changed': return bodyChanged(scope, field);
          default: break;
        }
      }
    }
  }
  return staticValue(scope, props.slice(1));
}

function staticInfo(ctx: CompileContext): Record<string, unknown> {
  const r = ctx.request;
  const auth = r.auth && {
    ...r.auth.record,
    collectionId: r.auth.collection.id,
    collectionName: r.auth.collection.name,
  };
  return { context: r.context, method: r.method, query: r.query, headers: r.headers, body: r.body, auth };
}

/** A value looked up in the request data; missing keys are NULL (`:isset` tells them apart). */
function staticValue(scope: Scope, path: readonly string[]): Operand {
  const [prop, modifier] = splitModifier(path[path.length - 1]);
  const { found, value: raw } = extractNested(staticInfo(scope.ctx), [...path.slice(0, -1), prop]);
  if (modifier === 'isset') return boolOperand(found);
  let v: unknown = raw;
  // Multipart bodies carry numbers as text; compare them as numbers when the field is numeric.
  if (typeof v === 'string' && fieldByName(scope.collection, prop)?.type === 'number') v = parseNumeric(v) ?? v;
  if (modifier !== '' && modifier !== 'lower') fail(`invalid modifier ${quote(`:${modifier}`)} for ${quote(['@request', ...path.slice(0, -1), prop].join('.'))}`);
  if (v === undefined || v === null) return NULL_OPERAND;
  const type = typeOfValue(v);
  const bound = value(bindable(v), type === 'null' ? undefined : type);
  const e = sql`${bound}`;
  const { dialect } = scope.ctx;
  return modifier === 'lower'
    ? operand({ sql: dialect.lower(dialect.cast(e, type, 'text')), type: 'text', params: [v], wrap: [bound] })
    : operand({ sql: e, type, params: [v], wrap: [bound] });
}

const requireListField = (field: FieldDef): void => {
  if (field.type !== 'relation' && field.type !== 'select' && field.type !== 'file') {
    fail(`field ${quote(field.name)} doesn't support multi-value modifiers`);
  }
};

function bodyEach(scope: Scope, field: FieldDef): Operand {
  requireListField(field);
  const { ctx } = scope;
  const d = ctx.dialect;
  const list = toSlice(scope.ctx.request.body[field.name]);
  const items = JSON.stringify(list);
  const rows = Math.max(1, list.length);
  const je = ctx.sharedJoin(`${scope.keyPrefix}@request.body.${field.name}:each`, null, null, (a) => sql`LEFT JOIN ${d.jsonEach(sql`${value(items, 'json')}`, a, true)} ON 1=1`, rows);
  // PocketBase counts the submitted list as this operand's parameter, which marks it non-empty.
  const o = operand({ sql: sql`${ident(je, 'value')}`, type: 'text', params: [items], joins: new Set([je]) });
  if (!isMultiValue(field)) return o;
  const multi = () => {
    const a = ctx.alias('m');
    return { from: ctx.fromAnchor([sql`LEFT JOIN ${d.jsonEach(sql`${value(items, 'json')}`, a, true)} ON 1=1`]), value: sql`${ident(a, 'value')}`, rows };
  };
  return { ...o, multi };
}

function bodyLength(scope: Scope, field: FieldDef): Operand {
  requireListField(field);
  const n = toSlice(scope.ctx.request.body[field.name]).length;
  // PocketBase emits the count as a bare number: 0 and 1 count as known non-empty constants.
  return n <= 1 ? boolOperand(n === 1) : operand({ sql: sql`${value(n, 'number')}`, type: 'number' });
}

function bodyLower(scope: Scope, field: FieldDef): Operand {
  const s = castToString(scope.ctx.request.body[field.name]);
  const bound = value(s, 'text');
  return operand({ sql: scope.ctx.dialect.lower(sql`${bound}`), type: 'text', params: [s], wrap: [bound] });
}

/** `@request.body.rel.field`: the records whose ids were submitted in relation field `rel`. */
function bodyRelation(scope: Scope, field: FieldDef, props: readonly string[]): Operand {
  const { ctx } = scope;
  const d = ctx.dialect;
  const ids = toUniqueStrings(ctx.request.body[field.name]);
  if (ids.length === 0) return NULL_OPERAND;
  const target = ctx.collection(String(field.collectionId)) ?? fail(`relation field ${quote(field.name)} points to a missing collection`);
  const list = JSON.stringify(ids);
  const idIn = (c: CompileContext, a: string): Sql => {
    c.countSubquery();
    const je = c.alias('e');
    return sql`${ident(a, 'id')} IN (SELECT ${ident(je, 'value')} FROM ${d.jsonEach(sql`${value(list, 'json')}`, je, true)})`;
  };
  const key = `${scope.keyPrefix}@request.body.${field.name}`;
  const alias = sharedCollectionJoin(scope, key, null, target, (a) => idIn(ctx, a), ids.length);
  const w: Walk = {
    collection: target,
    main: { kind: 'table', alias, join: alias },
    mainKey: key,
    mmStart: scope.root,
    mmHops: [(c) => {
      const a = c.alias('m');
      return {
        joins: [sql`LEFT JOIN ${ident(target.name)} AS ${ident(a)} ON ${idIn(c, a)}`],
        ref: { kind: 'table', alias: a, join: null },
        where: privateVisibility(scope, c, target, a),
        fanout: ids.length,
      };
    }],
    multi: isMultiValue(field),
    nullify: true,
  };
  return walk(scope, w, props.slice(3));
}
