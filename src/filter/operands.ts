import { sql, value } from '../db/sql.ts';
import { fieldByName } from '../db/schema.ts';
import { formatDate } from '../kernel/time.ts';
import type { Operand as Node } from './ast.ts';
import { NULL_OPERAND, type Operand, type Scope, boolOperand, operand } from './context.ts';
import { fail } from './errors.ts';
import { callFunction } from './functions.ts';
import { macroValue } from './macros.ts';
import { resolveField } from './paths.ts';

/** The smallest positive normal double (2^-1022). */
const MIN_NORMAL = 2.2250738585072014e-308;

/** A literal bound as a parameter: the only way a user-supplied value reaches SQL. */
export function literal(v: string | number): Operand {
  // Subnormal doubles make PostgreSQL's arithmetic fail (underflow) where SQLite rounds to 0:
  // refused alike on every database rather than answered differently.
  if (typeof v === 'number' && v !== 0 && Math.abs(v) < MIN_NORMAL) fail(`number ${v} is too close to zero`);
  const type = typeof v === 'number' ? 'number' : 'text';
  const bound = value(v, type);
  return operand({ sql: sql`${bound}`, type, params: [v], wrap: [bound] });
}

const KEYWORDS: Record<string, () => Operand> = {
  null: () => NULL_OPERAND,
  true: () => boolOperand(true),
  false: () => boolOperand(false),
};

export function resolveOperand(scope: Scope, node: Node): Operand {
  switch (node.kind) {
    case 'string':
    case 'number':
      return literal(node.value);
    case 'macro':
      return literal(macroValue(node.name, scope.ctx.now));
    case 'placeholder':
      return placeholderValue(scope, node.name);
    case 'func':
      return callFunction(scope, node, (arg) => resolveOperand(scope, arg));
    case 'ident': {
      // As in PocketBase, true/false/null are fields first and keywords only when no field matches
      // (decided by lookup, not by a failed resolution: no throw per request for a keyword).
      const keyword = KEYWORDS[node.name.toLowerCase()];
      if (keyword) {
        const field = fieldByName(scope.collection, node.name);
        if (!field || (field.hidden && !scope.allowHiddenFields)) return keyword();
      }
      return resolveField(scope, node.name);
    }
  }
}

function placeholderValue(scope: Scope, name: string): Operand {
  if (!Object.prototype.hasOwnProperty.call(scope.params, name)) fail(`missing value for placeholder {:${name}}`);
  const v = scope.params[name];
  if (v === null || v === undefined) return NULL_OPERAND;
  if (typeof v === 'boolean') return boolOperand(v);
  if (typeof v === 'string' || typeof v === 'number') return literal(v);
  if (typeof v === 'bigint') return literal(Number(v));
  if (v instanceof Date) return literal(formatDate(v));
  return literal(JSON.stringify(v) ?? '');
}
