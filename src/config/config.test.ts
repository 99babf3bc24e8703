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
});
