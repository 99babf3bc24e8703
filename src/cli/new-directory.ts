import { rmSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * For a command that may create the data directory `dir` and then fail (serve that cannot listen,
 * a superuser the validation refuses, a copy that stops before writing): call it before anything
 * is created; the function it returns removes what creating `dir` made, i.e. the outermost of
 * `dir` and its parents that did not exist at the call, and nothing when `dir` existed. A
 * directory that existed before the command is never removed, whatever it holds: a path whose
 * state cannot be read (no permission) counts as existing.
 */
export function undoNewDirectory(dir: string): () => void {
  let made: string | undefined;
  for (let p = path.resolve(dir); !exists(p); p = path.dirname(p)) made = p;
  return () => {
    if (made) rmSync(made, { recursive: true, force: true });
  };
}

function exists(p: string): boolean {
  try {
    return statSync(p, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return true;
  }
}
