import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('query timeouts', () => {
  it('default to the database layer\'s budgets (absent here)', () => {
    expect(loadConfig({}, {}).queryTimeouts).toEqual({ client: undefined, system: undefined });
  });

  it('take seconds from flags over the environment, decimals allowed', () => {
    const config = loadConfig({ clientQueryTimeout: '0.5' }, { BATON_CLIENT_QUERY_TIMEOUT: '9', BATON_QUERY_TIMEOUT: '60' });
    expect(config.queryTimeouts).toEqual({ client: 500, system: 60_000 });
  });

  it.each(['0', '-1', 'abc', '', '86401', 'Infinity'])('refuses %j', (bad) => {
    expect(() => loadConfig({ queryTimeout: bad }, {})).toThrow(ConfigError);
  });
});

describe('log level', () => {
  it('is info by default, debug (a line per request) with --dev unless given', () => {
    expect(loadConfig({}, {}).logLevel).toBe('info');
    expect(loadConfig({ dev: true }, {}).logLevel).toBe('debug');
    expect(loadConfig({ dev: true, logLevel: 'warn' }, {}).logLevel).toBe('warn');
    expect(loadConfig({}, { BATON_DEV: '1' }).logLevel).toBe('debug');
  });

  it('reads BATON_DEV as 1/true or 0/false, and refuses anything else rather than ignore it', () => {
    expect(loadConfig({}, { BATON_DEV: 'true' }).dev).toBe(true);
    expect(loadConfig({}, { BATON_DEV: 'FALSE' }).dev).toBe(false);
    expect(loadConfig({}, { BATON_DEV: '0' }).dev).toBe(false);
    expect(loadConfig({}, { BATON_DEV: '' }).dev).toBe(false);
    expect(() => loadConfig({}, { BATON_DEV: 'yes please' })).toThrow('invalid BATON_DEV "yes please", expected 1 or 0 (true or false)');
    // The flag wins over the variable, as everywhere.
    expect(loadConfig({ dev: false }, { BATON_DEV: 'junk' }).dev).toBe(false);
  });
});

describe('serve limits', () => {
  it('are absent by default: each layer keeps its own default', () => {
    const config = loadConfig({}, {});
    expect(config.responseLimits).toEqual({});
    expect(config.connections).toEqual({});
    expect([config.maxJsonItems, config.sqliteReaderThreads, config.statisticsIntervalMs]).toEqual([undefined, undefined, undefined]);
  });

  it('come from flags over BATON_* variables (an empty variable is unset), seconds in milliseconds', () => {
    const config = loadConfig(
      { maxExpandedRecords: '500', bodyStallTimeout: '2.5', shutdownLinger: '0' },
      {
        BATON_MAX_EXPANDED_RECORDS: '9',
        BATON_MAX_RESPONSE_SIZE: '1048576',
        BATON_MAX_CONNECTIONS: '300',
        BATON_MAX_JSON_ITEMS: '',
        BATON_SHUTDOWN_TIMEOUT: '20',
        BATON_SQLITE_READER_THREADS: '4',
        BATON_STATISTICS_INTERVAL: '0',
      },
    );
    expect(config.responseLimits).toEqual({ maxExpandedRecords: 500, maxResponseBytes: 1 << 20 });
    expect(config.connections).toEqual({ maxConnections: 300, bodyStallTimeoutMs: 2500, shutdownGraceMs: 20_000, shutdownLingerMs: 0 });
    expect(config.maxJsonItems).toBeUndefined();
    expect(config.sqliteReaderThreads).toBe(4);
    expect(config.statisticsIntervalMs).toBe(0);
    expect(Object.isFrozen(config.connections) && Object.isFrozen(config.responseLimits)).toBe(true);
  });

  it.each([
    ['maxExpandedRecords', ['0', '-1', '1.5', '1e3', 'ten', '', '1000001']],
    ['maxResponseSize', ['1023', '0x10000', String(2 ** 30 + 1)]],
    ['maxConnections', ['0', '1000001', '+12']],
    ['bodyStallTimeout', ['0', '-1', 'Infinity', '86401', '']],
    ['maxJsonItems', ['0', '10000001']],
    ['shutdownTimeout', ['0', 'soon']],
    ['shutdownLinger', ['-0.5', '61']],
    ['sqliteReaderThreads', ['0', '65', '2.0']],
    ['statisticsInterval', ['0.5', '-1', '86401']],
    ['realtimeReplayEvents', ['-1', '1.5', '1000001']],
    ['requestLogRate', ['-1', '2.5', '1000001', 'all']],
    ['realtimeReplayAge', ['0', '0.5', '86401']],
    ['realtimeReplayBytes', ['0', '1023', '1.5']],
  ] as const)('%s refuses %j', (key, values) => {
    for (const bad of values) {
      expect(() => loadConfig({ [key]: bad }, {}), bad).toThrow(ConfigError);
    }
  });

  it('reads the realtime replay window from flags and variables, in milliseconds; absent, the realtime defaults apply', () => {
    expect(loadConfig({}, {}).realtimeReplay).toEqual({});
    expect(loadConfig({ realtimeReplayEvents: '0' }, { BATON_REALTIME_REPLAY_AGE: '90.5' }).realtimeReplay).toEqual({ maxEvents: 0, maxAgeMs: 90_500 });
    expect(loadConfig({}, { BATON_REALTIME_REPLAY_BYTES: '1048576' }).realtimeReplay).toEqual({ maxBytes: 1_048_576 });
  });

  it('reads the request log rate: absent, the writer default; 0, every request', () => {
    expect(loadConfig({}, {}).requestLogRate).toBeUndefined();
    expect(loadConfig({ requestLogRate: '0' }, { BATON_REQUEST_LOG_RATE: '50' }).requestLogRate).toBe(0);
    expect(loadConfig({}, { BATON_REQUEST_LOG_RATE: '50' }).requestLogRate).toBe(50);
    expect(() => loadConfig({ requestLogRate: '-1' }, {})).toThrow('invalid --request-log-rate "-1", expected 0 (every request) or a whole number from 1 to 1000000');
  });

  it('names the flag or the variable the value came from in its message', () => {
    expect(() => loadConfig({}, { BATON_SQLITE_READER_THREADS: '0' })).toThrow(
      'invalid BATON_SQLITE_READER_THREADS "0", expected a whole number from 1 to 64',
    );
    expect(() => loadConfig({ sqliteReaderThreads: '0' }, { BATON_SQLITE_READER_THREADS: '4' })).toThrow(
      'invalid --sqlite-reader-threads "0", expected a whole number from 1 to 64',
    );
    expect(() => loadConfig({ statisticsInterval: '0.1' }, {})).toThrow('expected 0 (off) or seconds from 1 to 86400');
  });
});

describe('password hash', () => {
  it('defaults to bcrypt, as PocketBase hashes', () => {
    expect(loadConfig({}, {}).passwordHash).toBe('bcrypt');
    expect(loadConfig({}, { BATON_PASSWORD_HASH: '' }).passwordHash).toBe('bcrypt');
  });

  it('takes argon2id from the flag or the environment; the flag wins', () => {
    expect(loadConfig({}, { BATON_PASSWORD_HASH: 'argon2id' }).passwordHash).toBe('argon2id');
    expect(loadConfig({ passwordHash: 'argon2id' }, {}).passwordHash).toBe('argon2id');
    expect(loadConfig({ passwordHash: 'bcrypt' }, { BATON_PASSWORD_HASH: 'argon2id' }).passwordHash).toBe('bcrypt');
  });

  it.each(['argon2', 'Bcrypt', 'scrypt', ''])('refuses %j', (bad) => {
    expect(() => loadConfig({ passwordHash: bad }, {})).toThrow(`invalid --password-hash "${bad}", expected bcrypt or argon2id`);
  });
});

describe('a refused value', () => {
  it.each([
    [{ BATON_QUERY_TIMEOUT: 'abc' }, 'invalid BATON_QUERY_TIMEOUT "abc", expected seconds (0 < s <= 86400)'],
    [{ BATON_CLIENT_QUERY_TIMEOUT: '-1' }, 'invalid BATON_CLIENT_QUERY_TIMEOUT "-1", expected seconds (0 < s <= 86400)'],
    [{ BATON_LOG_LEVEL: 'loud' }, 'invalid BATON_LOG_LEVEL "loud", expected one of fatal, error, warn, info, debug, trace, silent'],
    [{ BATON_HTTP: 'nope' }, 'invalid BATON_HTTP "nope", expected host:port'],
    [{ BATON_HTTP: '127.0.0.1:99999' }, 'invalid BATON_HTTP "127.0.0.1:99999", expected a port from 0 to 65535'],
    [{ BATON_DB: 'foo' }, 'invalid BATON_DB "foo", expected postgres://… or mysql://…'],
    [{ BATON_PASSWORD_HASH: 'md5' }, 'invalid BATON_PASSWORD_HASH "md5", expected bcrypt or argon2id'],
    [{ BATON_MAX_BODY_SIZE: '1.5' }, 'invalid BATON_MAX_BODY_SIZE "1.5", expected a whole number of bytes above 0'],
    [{ BATON_MAX_CONNECTIONS: 'x' }, 'invalid BATON_MAX_CONNECTIONS "x", expected a whole number from 1 to 1000000'],
  ])('from the environment names its variable: %j', (env, message) => {
    expect(() => loadConfig({}, env)).toThrow(new ConfigError(message));
  });

  it.each([
    [{ queryTimeout: 'abc' }, 'invalid --query-timeout "abc"'],
    [{ logLevel: 'loud' }, 'invalid --log-level "loud", expected one of fatal, error'],
    [{ http: 'nope' }, 'invalid --http "nope"'],
    [{ db: 'foo' }, 'invalid --db "foo"'],
  ])('from a flag names the flag, though the variable is set too: %j', (input, message) => {
    const env = { BATON_QUERY_TIMEOUT: '5', BATON_LOG_LEVEL: 'warn', BATON_HTTP: '127.0.0.1:1', BATON_DB: 'postgres://h/db' };
    expect(() => loadConfig(input, env)).toThrow(message);
  });

  it('an empty variable counts as unset', () => {
    const config = loadConfig({}, { BATON_LOG_LEVEL: '', BATON_HTTP: '', BATON_DB: '', BATON_QUERY_TIMEOUT: '', BATON_MAX_BODY_SIZE: '' });
    expect(config).toMatchObject({ logLevel: 'info', http: { host: '127.0.0.1', port: 8090 }, db: undefined, queryTimeouts: {}, maxBodySize: 32 << 20 });
  });
});
