import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../src');

/** Which top-level layers each layer may import (besides itself). */
const ALLOWED: Record<string, readonly string[]> = {
  kernel: [],
  db: ['kernel'],
  filter: ['db', 'kernel'],
  infra: ['kernel'],
  domain: ['filter', 'db', 'infra', 'kernel'],
  config: ['kernel'],
  http: ['domain', 'filter', 'db', 'kernel', 'config'],
  cli: ['http', 'domain', 'filter', 'db', 'infra', 'kernel', 'config'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [p] : [];
  });
}

const layerOf = (file: string) => path.relative(SRC, file).split(path.sep)[0];

describe('layering (STYLE.md: http -> domain -> filter -> db -> kernel, cli wires them)', () => {
  const files = sourceFiles(SRC);

  it('finds the source tree', () => {
    expect(files.length).toBeGreaterThan(50);
  });

  it.each(files.map((f) => [path.relative(SRC, f), f]))('%s imports only lower layers', (_name, file) => {
    const from = layerOf(file);
    expect(Object.keys(ALLOWED)).toContain(from);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
      const to = layerOf(path.resolve(path.dirname(file), m[1]));
      if (to === from) continue;
      expect(ALLOWED[from], `${path.relative(SRC, file)} imports ${m[1]}`).toContain(to);
    }
  });
});
