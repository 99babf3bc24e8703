import path from 'node:path';

/**
 * The command that runs Baton, as the user ran it, for commands printed to run next: `baton` (or
 * whatever the installed bin is called) when run as the installed bin, `node bin/baton.js` (the
 * script relative to the working directory, or absolute when outside it) when run through node.
 */
export function batonCommand(argv: readonly string[] = process.argv, cwd: string = process.cwd()): string {
  const script = argv[1];
  if (!script) return 'baton';
  const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  if (!script.endsWith('.js') && !script.endsWith('.mjs')) return quote(path.basename(script));
  const relative = path.relative(cwd, script);
  const shown = relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : script;
  return `node ${quote(shown)}`;
}
