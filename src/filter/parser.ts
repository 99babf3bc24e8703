import {
  type Expr, type Operand, type Op, MACRO_NAMES, type MacroName,
  and, compare, func, ident, macro, num, or, placeholder, str,
} from './ast.ts';
import { fail, quote } from './errors.ts';
import { tokenize, type Token } from './lexer.ts';
import { FILTER_LIMITS } from './limits.ts';

/**
 * Grammar (`&&` binds tighter than `||`, as it does in the SQL PocketBase generates):
 *
 *   filter     := or EOF
 *   or         := and ('||' and)*
 *   and        := primary ('&&' primary)*
 *   primary    := '(' or ')' | operand OP operand
 *   operand    := IDENT | MACRO | STRING | NUMBER | PLACEHOLDER | FUNC '(' [operand (',' operand)* [',']] ')'
 */
export function parseFilter(src: string): Expr {
  const cached = cache.get(src);
  if (cached) {
    cache.delete(src);
    cache.set(src, cached);
    return cached;
  }
  const tree = parseUncached(src);
  if (cache.size >= FILTER_LIMITS.cacheSize) cache.delete(cache.keys().next().value as string);
  cache.set(src, tree);
  return tree;
}

/** Parsed trees keyed by source text. Trees hold no schema, so a schema change needs no invalidation. */
const cache = new Map<string, Expr>();

export function clearParseCache(): void {
  cache.clear();
}

const MACROS = new Set<string>(MACRO_NAMES);

function parseUncached(src: string): Expr {
  if (typeof src !== 'string') fail('expected a string');
  if (Buffer.byteLength(src, 'utf8') > FILTER_LIMITS.maxLength) {
    fail(`too long (max ${FILTER_LIMITS.maxLength} bytes)`);
  }
  const tokens = tokenize(src);
  if (tokens.length === 1) fail('empty expression');
  let at = 0;
  let depth = 0;
  let comparisons = 0;

  const peek = (): Token => tokens[at];
  const next = (): Token => tokens[at++];
  const unexpected = (t: Token, expected: string): never =>
    fail(t.kind === 'eof' ? `unexpected end of input, expected ${expected}` : `unexpected token ${quote(t.text)} at ${t.pos}, expected ${expected}`);

  const tree = parseOr();
  if (peek().kind !== 'eof') unexpected(peek(), '"&&" or "||"');
  return tree;

  function parseOr(): Expr {
    const items = [parseAnd()];
    while (peek().kind === 'or') {
      next();
      items.push(parseAnd());
    }
    return or(...items);
  }

  function parseAnd(): Expr {
    const items = [parsePrimary()];
    while (peek().kind === 'and') {
      next();
      items.push(parsePrimary());
    }
    return and(...items);
  }

  function parsePrimary(): Expr {
    const t = peek();
    if (t.kind === 'lparen') {
      next();
      if (++depth > FILTER_LIMITS.maxDepth) fail(`too deeply nested at ${t.pos} (max ${FILTER_LIMITS.maxDepth} levels)`);
      // PocketBase silently drops "()"; we reject it rather than guess how it joins its neighbours.
      if (peek().kind === 'rparen') fail(`empty parentheses at ${t.pos}`);
      const inner = parseOr();
      const close = next();
      if (close.kind !== 'rparen') unexpected(close, '")"');
      depth--;
      return inner;
    }
    const left = parseOperand(0);
    const opTok = next();
    if (opTok.kind !== 'op') unexpected(opTok, 'an operator');
    const right = parseOperand(0);
    if (++comparisons > FILTER_LIMITS.maxExpressions) fail(`too many expressions (max ${FILTER_LIMITS.maxExpressions})`);
    return compare(left, opTok.text as Op, right);
  }

  function parseOperand(funcDepth: number): Operand {
    const t = next();
    switch (t.kind) {
      case 'ident':
        return MACROS.has(t.text) ? macro(t.text as MacroName) : ident(t.text);
      case 'string':
        return str(t.text);
      case 'number':
        return num(Number(t.text));
      case 'placeholder':
        return placeholder(t.text);
      case 'func':
        return parseCall(t, funcDepth + 1);
      default:
        return unexpected(t, 'a field, value or function');
    }
  }

  function parseCall(name: Token, funcDepth: number): Operand {
    if (funcDepth > FILTER_LIMITS.maxFunctionDepth) fail(`too deeply nested function calls at ${name.pos}`);
    next(); // '(' (the lexer only emits `func` when it follows)
    const args: Operand[] = [];
    while (peek().kind !== 'rparen') {
      if (peek().kind === 'eof') unexpected(peek(), `")" closing ${name.text}(`);
      args.push(parseOperand(funcDepth));
      if (peek().kind === 'comma') next();
      else if (peek().kind !== 'rparen') unexpected(peek(), '"," or ")"');
    }
    next();
    return func(name.text, args);
  }
}
