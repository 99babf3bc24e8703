// The collection editor's pure parts, without a browser: its field-type table against the server's,
// rule completion, and the import diff.
import { describe, expect, it } from 'vitest';
import type { CollectionModel } from 'pocketbase';
import { FIELD_HANDLERS } from '../../src/domain/collections/fields/registry.ts';
import { FIELD_TYPES } from '../../dashboard/src/pages/collection-editor/field-types.ts';
import { candidates, suggest, wordBefore } from '../../dashboard/src/pages/collection-editor/rule-complete.ts';
import { diffSchemas } from '../../dashboard/src/pages/schema-diff.ts';

/** Options every type has, edited outside the per-type table (or not at all: id, system, primaryKey). */
const COMMON = new Set(['id', 'name', 'system', 'hidden', 'presentable', 'help', 'required', 'primaryKey']);

describe('field types', () => {
  it('the editor offers every field type the server has, and every one of its options', () => {
    expect(FIELD_TYPES.map((t) => t.type).sort()).toEqual(Object.keys(FIELD_HANDLERS).sort());
    for (const spec of FIELD_TYPES) {
      const server = Object.keys(FIELD_HANDLERS[spec.type as keyof typeof FIELD_HANDLERS].options);
      const editable = spec.options.map((o) => o.key);
      // Nothing the server would drop, and nothing the server keeps that cannot be edited.
      expect(editable.filter((k) => !server.includes(k)), spec.type).toEqual([]);
      expect(server.filter((k) => !COMMON.has(k) && !editable.includes(k)), spec.type).toEqual([]);
    }
  });
});

const users = { id: 'u1', name: 'users', type: 'auth', fields: [{ name: 'email', type: 'email' }, { name: 'nickname', type: 'text' }] } as unknown as CollectionModel;
const posts = {
  id: 'p1',
  name: 'posts',
  type: 'base',
  fields: [
    { name: 'title', type: 'text' },
    { name: 'author', type: 'relation', collectionId: 'u1' },
  ],
} as unknown as CollectionModel;
const all = candidates({ fields: posts.fields, collections: [users, posts] });

describe('rule completion', () => {
  it('takes the word before the caret', () => {
    expect(wordBefore('title = "a" && @request.au', 26)).toEqual({ start: 15, word: '@request.au' });
    expect(wordBefore('a = 1 ', 6).word).toBe('');
  });

  it('completes fields, relation paths, @request and @collection one segment at a time', () => {
    expect(suggest(all, 'ti')).toEqual(['title']);
    expect(suggest(all, 'author.')).toEqual(['author.email', 'author.nickname']);
    expect(suggest(all, '@req')).toContain('@request.auth.');
    expect(suggest(all, '@req')).not.toContain('@request.auth.nickname');
    expect(suggest(all, '@request.auth.')).toEqual(expect.arrayContaining(['@request.auth.id', '@request.auth.nickname']));
    expect(suggest(all, '@request.body.')).toEqual(['@request.body.title', '@request.body.author']);
    expect(suggest(all, '@collection.')).toEqual(['@collection.posts.', '@collection.users.']);
    expect(suggest(all, '@collection.users.n')).toEqual(['@collection.users.nickname']);
    expect(suggest(all, '@tod')).toEqual(['@todayEnd', '@todayStart']);
  });

  it('offers modifiers after a path', () => {
    expect(suggest(all, 'title:')).toEqual(['title:isset', 'title:changed', 'title:length', 'title:each', 'title:lower']);
    expect(suggest(all, '@request.body.title:is')).toEqual(['@request.body.title:isset']);
  });

  it('offers nothing for an empty word or an exact match', () => {
    expect(suggest(all, '')).toEqual([]);
    expect(suggest(all, 'title')).toEqual([]);
  });
});

describe('import diff', () => {
  const current = [
    { id: 'c1', name: 'posts', system: false, listRule: null, fields: [{ id: 'f1', name: 'title', type: 'text' }, { id: 'f2', name: 'body', type: 'editor' }] },
    { id: 'c2', name: 'tags', system: false, fields: [] },
    { id: 'c3', name: '_superusers', system: true, fields: [] },
  ];

  it('lists added collections, and changed ones with their fields and keys', () => {
    const incoming = [
      { id: 'c1', name: 'articles', listRule: '', fields: [{ id: 'f1', name: 'title', type: 'text', max: 10 }, { name: 'slug', type: 'text' }] },
      { name: 'authors', type: 'base' },
    ];
    expect(diffSchemas(current, incoming, false)).toEqual({
      added: ['authors'],
      removed: [],
      changed: [{ name: 'posts → articles', fieldsAdded: ['slug'], fieldsRemoved: [], fieldsChanged: ['title'], keysChanged: ['name', 'listRule'] }],
    });
  });

  it('with deleteMissing, lists the collections and fields that go, never system ones', () => {
    const incoming = [{ id: 'c1', name: 'posts', fields: [{ id: 'f1', name: 'title', type: 'text' }] }];
    const diff = diffSchemas(current, incoming, true);
    expect(diff.removed).toEqual(['tags']);
    expect(diff.changed).toEqual([{ name: 'posts', fieldsAdded: [], fieldsRemoved: ['body'], fieldsChanged: [], keysChanged: [] }]);
  });

  it('an import of the current schema changes nothing', () => {
    expect(diffSchemas(current, current, true)).toEqual({ added: [], removed: [], changed: [] });
  });
});
