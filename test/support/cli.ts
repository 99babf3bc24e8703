// `node bin/baton.js …` as a child process, for the tests of the CLI: run it to completion, or serve
// on a free loopback port; and temp directories removed after the test file.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, onTestFinished } from 'vitest';

export const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/baton.js');

/**
 * Makes temp directories named `<prefix>…` for one test file, each removed after its tests; call
 * it at the top of the file.
 */
export function tempDirs(prefix: string): () => string {
  const made: string[] = [];
  afterAll(() => {
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(path.join(tmpdir(), prefix));
    made.push(dir);
    return dir;
  };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI to completion, with `env` on top of this process's environment; under
 * `ulimit -n <descriptors>` when given; with `filePermissions`, without the capabilities that let
 * root pass over file permissions (setpriv drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from
 * the bounding set), so that a file's mode holds for the CLI as for any other user.
 */
export function run(args: string[], env: Record<string, string> = {}, descriptors?: number, filePermissions = false): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const [command, argv] =
      filePermissions
        ? ['setpriv', ['--bounding-set=-dac_override,-dac_read_search', process.execPath, BIN, ...args]]
        : descriptors === undefined
          ? [process.execPath, [BIN, ...args]]
          : ['sh', ['-c', `ulimit -n ${descriptors} && exec "$0" "$@"`, process.execPath, BIN, ...args]];
    const child = spawn(command, argv, { cwd: ROOT, env: { ...process.env, BATON_LOG_LEVEL: 'warn', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

export interface Served {
  child: ChildProcess;
  url: string;
  /** Its stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
}

/**
 * Starts `baton serve --http=127.0.0.1:<free port> …args` and resolves once its stdout has printed
 * `ready`. Call it inside a test: a process still running when the test ends is killed.
 */
export async function serve(args: string[], ready: string): Promise<Served> {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, 'serve', `--http=127.0.0.1:${port}`, ...args], {
    cwd: ROOT,
    env: { ...process.env, BATON_LOG_LEVEL: 'warn' },
  });
  onTestFinished(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${out}`)), 20_000);
    child.stdout.on('data', () => {
      if (out.includes(ready)) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then((code) => reject(new Error(`serve exited early with ${code}:\n${out}`)));
  });
  return { child, url: `http://127.0.0.1:${port}`, output: () => out, exited };
}
