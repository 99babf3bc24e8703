import { ClientResponseError } from 'pocketbase';
import { expect } from 'vitest';

/** Runs `fn`, expects it to reject with the SDK's ClientResponseError, and returns that error. */
export async function clientError(fn: () => Promise<unknown>): Promise<ClientResponseError> {
  try {
    await fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ClientResponseError);
    return e as ClientResponseError;
  }
  throw new Error('expected a ClientResponseError, but the call succeeded');
}
