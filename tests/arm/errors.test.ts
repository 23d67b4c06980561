import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mapArmError } from '../../src/arm/errors.js';
import { ArmError } from '../../src/errors.js';

describe('mapArmError', () => {
  const rest = (statusCode: number, code: string) =>
    Object.assign(new Error('raw upstream message'), { name: 'RestError', statusCode, code });
  const table: [unknown, string][] = [
    [rest(403, 'AuthorizationFailed'), 'arm_forbidden'],
    [rest(401, 'InvalidAuthenticationToken'), 'arm_unauthorized'],
    [rest(404, 'SubscriptionNotFound'), 'arm_not_found'],
    [rest(429, 'TooManyRequests'), 'arm_throttled'],
    [rest(503, 'ServiceUnavailable'), 'arm_unavailable'],
    [Object.assign(new Error('aborted'), { name: 'AbortError' }), 'arm_timeout'],
    [
      Object.assign(new Error('socket hang up'), { name: 'RestError', code: 'REQUEST_SEND_ERROR' }),
      'arm_unavailable',
    ],
    [new TypeError('a bug, not an outage'), 'arm_failed'],
  ];
  for (const [error, code] of table) {
    it(`→ ${code}`, () => {
      const mapped = mapArmError(error, 'list things');
      assert.ok(mapped instanceof ArmError);
      assert.equal(mapped.code, code);
      assert.ok(!mapped.message.includes('raw upstream message'));
    });
  }
  it('names the RBAC fix for AuthorizationFailed', () => {
    const mapped = mapArmError(rest(403, 'AuthorizationFailed'), 'list things') as ArmError;
    assert.equal(mapped.armCode, 'AuthorizationFailed');
    assert.match(mapped.message, /RBAC/);
  });
});
