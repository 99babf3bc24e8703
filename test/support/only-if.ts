/**
 * Registers a test or suite only when `condition` holds: for assertions about one database (SQLite's
 * rendered SQL, its query plans) or tests that need to run once, not once per database. Unlike
 * `runIf`, nothing is reported as skipped where the condition fails: the test belongs to another
 * project's run, where it does run. (Skips are kept for resources a machine may lack.)
 */
export function onlyIf<T extends (...args: never[]) => unknown>(condition: boolean, register: T): T {
  return condition ? register : ((() => undefined) as unknown as T);
}
