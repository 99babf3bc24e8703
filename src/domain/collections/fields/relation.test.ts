import { describe, expect, test } from 'vitest';
import { relationField, relationIdsToCheck } from './relation.ts';
import { collection, created, field, optionsCtx, schemaOf } from './test-support.ts';

const users = collection({ id: '_pb_users_auth_', name: 'users', type: 'auth' });
const report = collection({ id: 'pbc_view', name: 'report', type: 'view' });
const schema = schemaOf(users, report);

describe('relation values', () => {
  const one = field('relation', { collectionId: users.id, maxSelect: 1 });
  const many = field('relation', { collectionId: users.id, maxSelect: 5 });

  test.each<[unknown, string, string[]]>([
    ['id1', 'id1', ['id1']],
    [['id1', 'id2', 'id1'], 'id2', ['id1', 'id2']],
    ['["id1","id2"]', 'id2', ['id1', 'id2']],
    ['', '', []],
    [null, '', []],
  ])('normalize %j -> single %j, multi %j', (raw, single, multi) => {
    expect(relationField.normalize(one, raw)).toEqual(single);
    expect(relationField.normalize(many, raw)).toEqual(multi);
  });

  test('round trip', () => {
    expect(relationField.decode(many, relationField.encode(many, ['a', 'b']))).toEqual(['a', 'b']);
    expect(relationField.decode(one, relationField.encode(one, 'a'))).toBe('a');
    expect(relationField.zero(many)).toEqual([]);
  });

  test.each<['append' | 'prepend' | 'subtract', string[], unknown, string[]]>([
    ['append', ['a'], ['b', 'c'], ['a', 'b', 'c']],
    ['prepend', ['a'], 'b', ['b', 'a']],
    ['subtract', ['a', 'b'], 'b', ['a']],
  ])('%s %j with %j -> %j', (modifier, current, raw, out) => {
    expect(relationField.applyModifier!(many, current, modifier, raw)).toEqual(out);
  });

  test('ids to check for existence', () => {
    expect(relationIdsToCheck(many, ['a', 'b'])).toEqual({ collectionId: users.id, ids: ['a', 'b'] });
    expect(relationIdsToCheck(one, '')).toEqual({ collectionId: users.id, ids: [] });
  });
});

describe('relation validate', () => {
  test.each<[Record<string, unknown>, unknown, string | undefined, string | undefined, unknown]>([
    [{}, '', undefined, undefined, undefined],
    [{ required: true }, '', 'validation_required', 'Cannot be blank.', undefined],
    [{ maxSelect: 5, minSelect: 2 }, ['a'], 'validation_not_enough_values', 'Select at least 2.', { minSelect: 2 }],
    [{ maxSelect: 2 }, ['a', 'b', 'c'], 'validation_too_many_values', 'Select no more than 2.', { maxSelect: 2 }],
    [{ maxSelect: 0 }, ['a', 'b'], 'validation_too_many_values', 'Select no more than 1.', { maxSelect: 1 }],
    [{ maxSelect: 3, minSelect: 1 }, ['a', 'b'], undefined, undefined, undefined],
  ])('%j with %j -> %s', (options, value, code, message, params) => {
    const err = relationField.validate(field('relation', { collectionId: users.id, ...options }), value as string, created);
    expect(err?.code).toBe(code);
    expect(err?.message).toBe(message);
    expect(err?.params).toEqual(params);
  });
});

describe('relation validateOptions', () => {
  const run = (options: Record<string, unknown>, extra: { type?: 'base' | 'view'; original?: ReturnType<typeof collection> } = {}) => {
    const f = field('relation', options);
    return relationField.validateOptions(
      f,
      optionsCtx(f, { schema, collection: collection({ type: extra.type ?? 'base', fields: [f] }), original: extra.original }),
    );
  };

  test.each<[Record<string, unknown>, string | undefined, string | undefined, string | undefined]>([
    [{ collectionId: users.id }, undefined, undefined, undefined],
    [{ collectionId: '' }, 'collectionId', 'validation_required', 'Cannot be blank.'],
    [{ collectionId: 'missing' }, 'collectionId', 'validation_field_relation_missing_collection', "The relation collection doesn't exist."],
    [{ collectionId: 'users' }, 'collectionId', 'validation_field_relation_missing_collection', "The relation collection doesn't exist."],
    [
      { collectionId: report.id },
      'collectionId',
      'validation_relation_field_non_view_base_collection',
      'Only view collections are allowed to have relations to other views.',
    ],
    [{ collectionId: users.id, minSelect: -1 }, 'minSelect', 'validation_min_greater_equal_than_required', 'Must be no less than 0.'],
    [{ collectionId: users.id, minSelect: 2 }, 'maxSelect', 'validation_required', 'Cannot be blank.'],
    [{ collectionId: users.id, minSelect: 3, maxSelect: 2 }, 'maxSelect', 'validation_min_greater_equal_than_required', 'Must be no less than 3.'],
  ])('%j -> %s %s', (options, key, code, message) => {
    const errors = run(options);
    if (!key) expect(errors).toBeUndefined();
    else expect(errors?.[key]).toMatchObject({ code, message });
  });

  test('a view may relate to a view', () => {
    expect(run({ collectionId: report.id }, { type: 'view' })).toBeUndefined();
  });

  test('the related collection cannot change once saved', () => {
    const before = field('relation', { collectionId: report.id });
    const errors = run({ id: before.id, collectionId: users.id }, { original: collection({ fields: [before] }) });
    expect(errors?.collectionId).toEqual({ code: 'validation_field_relation_change', message: 'The relation collection cannot be changed.' });
  });
});
