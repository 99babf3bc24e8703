import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config/config.ts';
import { DEFAULT_CONNECTION_LIMITS, MAX_CONNECTIONS_CEILING, resolveConnectionLimits } from './limits.ts';

describe('connection limits for serve', () => {
  it('default below the descriptor limit, at most the ceiling', () => {
    expect(resolveConnectionLimits({}, 1024)).toEqual({ ...DEFAULT_CONNECTION_LIMITS, maxConnections: 1024 - 128 });
    expect(resolveConnectionLimits({}, 1 << 20).maxConnections).toBe(MAX_CONNECTIONS_CEILING);
    expect(resolveConnectionLimits({}, undefined).maxConnections).toBe(1024 - 128);
  });

  it('take --max-connections up to what the descriptor limit leaves room for, past the ceiling too', () => {
    expect(resolveConnectionLimits({ maxConnections: 20_000 }, 1 << 20).maxConnections).toBe(20_000);
    expect(resolveConnectionLimits({ maxConnections: 128 }, 256).maxConnections).toBe(128);
    expect(() => resolveConnectionLimits({ maxConnections: 129 }, 256)).toThrow(ConfigError);
    expect(() => resolveConnectionLimits({ maxConnections: 129 }, 256)).toThrow(/may open 256 files \(ulimit -n\), which leaves room for 128 connections/);
    // Unknown limit (not Linux): the configuration's own bounds only.
    expect(resolveConnectionLimits({ maxConnections: 50_000 }, undefined).maxConnections).toBe(50_000);
  });

  it('keep the linger inside the grace period', () => {
    expect(() => resolveConnectionLimits({ shutdownLingerMs: 10_000 }, 1024)).toThrow(/shorter than --shutdown-timeout/);
    expect(() => resolveConnectionLimits({ shutdownLingerMs: 2_000, shutdownGraceMs: 1_000 }, 1024)).toThrow(ConfigError);
    // A short grace period given alone shortens the default linger with it.
    expect(resolveConnectionLimits({ shutdownGraceMs: 300 }, 1024)).toMatchObject({ shutdownGraceMs: 300, shutdownLingerMs: 150 });
    expect(Object.isFrozen(resolveConnectionLimits({}, 1024))).toBe(true);
  });

  it('name a refused value by the flag or the variable it came by', () => {
    const fromEnv = loadConfig({}, { BATON_MAX_CONNECTIONS: '129', BATON_SHUTDOWN_LINGER: '20' });
    expect(() => resolveConnectionLimits(fromEnv.connections, 256, fromEnv.givenAs)).toThrow(/^invalid BATON_MAX_CONNECTIONS 129: .*lower BATON_MAX_CONNECTIONS$/);
    expect(() => resolveConnectionLimits(fromEnv.connections, 1024, fromEnv.givenAs)).toThrow('invalid BATON_SHUTDOWN_LINGER 20: it must be shorter than --shutdown-timeout (10 s)');
    const fromFlags = loadConfig({ maxConnections: '129' }, { BATON_MAX_CONNECTIONS: '5' });
    expect(() => resolveConnectionLimits(fromFlags.connections, 256, fromFlags.givenAs)).toThrow(/^invalid --max-connections 129: /);
  });
});
