import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import functions from '@azure/functions';
import type { SetupOptions } from '@azure/functions';

describe('functions/setup', () => {
  it('turns on HTTP streaming when imported, so bodies reach the handler unbuffered', async () => {
    const calls: SetupOptions[] = [];
    Object.defineProperty(functions.app, 'setup', {
      configurable: true,
      value: (options: SetupOptions) => calls.push(options),
    });
    await import('../../src/functions/setup.js');
    assert.deepEqual(calls, [{ enableHttpStream: true }]);
  });
});
