#!/usr/bin/env node
// Entry point: runs the compiled build (dist/, made by `npm ci` or `npm run build` from src/).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.mjs', import.meta.url);
if (!existsSync(cli)) {
  console.error('baton: the compiled build is missing (dist/cli.mjs); run `npm ci` or `npm run build` first');
  process.exit(1);
}
const { main } = await import(cli.href);
process.exitCode = await main(process.argv.slice(2));
