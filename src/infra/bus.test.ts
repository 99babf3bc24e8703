import { describe, expect, it } from 'vitest';
import { LocalBus, type Bus } from './bus.ts';

/**
 * What every Bus must do, written once: a shared implementation (Redis, LISTEN/NOTIFY) runs the
 * same suite with its own factory.
 */
function describeBus(name: string, make: (onError: (e: unknown) => void) => Bus) {
  const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

  describe(`${name} bus`, () => {
    it('delivers a channel\'s messages to each subscriber in publish order, never during publish', async () => {
      const bus = make(() => undefined);
      const a: unknown[] = [];
      const b: unknown[] = [];
      bus.subscribe('records', (m) => a.push(m));
      bus.subscribe('records', (m) => b.push(m));
      bus.subscribe('other', () => a.push('wrong channel'));
      for (let i = 0; i < 50; i++) bus.publish('records', { n: i, record: { id: `r${i}` } });
      expect(a).toEqual([]);
      await settle();
      const expected = Array.from({ length: 50 }, (_, i) => ({ n: i, record: { id: `r${i}` } }));
      expect(a).toEqual(expected);
      expect(b).toEqual(expected);
      await bus.close();
    });

    it('keeps delivering to the others when a subscriber throws, and reports the error', async () => {
      const errors: unknown[] = [];
      const bus = make((e) => errors.push(e));
      const got: unknown[] = [];
      bus.subscribe('c', () => {
        throw new Error('boom');
      });
      bus.subscribe('c', (m) => got.push(m));
      expect(() => bus.publish('c', 1)).not.toThrow();
      await settle();
      expect(got).toEqual([1]);
      expect(errors).toHaveLength(1);
      await bus.close();
    });

    it('stops delivering to an unsubscribed handler, and after close', async () => {
      const bus = make(() => undefined);
      const got: unknown[] = [];
      const off = bus.subscribe('c', (m) => got.push(m));
      bus.publish('c', 1);
      await settle();
      off();
      bus.publish('c', 2);
      await settle();
      bus.subscribe('c', (m) => got.push(m));
      await bus.close();
      bus.publish('c', 3);
      await settle();
      expect(got).toEqual([1]);
    });
  });
}

describeBus('local', (onError) => new LocalBus({ onError }));
