import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mapArmError } from '../../src/arm/errors.js';
import { ArmError, OboError, TimeoutError } from '../../src/errors.js';

describe('mapArmError', () => {
  const rest = (statusCode: number, code: string) =>
    Object.assign(new Error('raw upstream message'), { name: 'RestError', statusCode, code });
  const table: [string, unknown, string][] = [
    ['403', rest(403, 'AuthorizationFailed'), 'arm_forbidden'],
    ['401', rest(401, 'InvalidAuthenticationToken'), 'arm_unauthorized'],
    ['404', rest(404, 'SubscriptionNotFound'), 'arm_not_found'],
    ['429 after the retries', rest(429, 'TooManyRequests'), 'arm_throttled'],
    ['400', rest(400, 'InvalidApiVersionParameter'), 'arm_bad_request'],
    ['503', rest(503, 'ServiceUnavailable'), 'arm_unavailable'],
    ['our time budget', new TimeoutError('Azure Resource Manager', 10), 'arm_timeout'],
    ['an abort', Object.assign(new Error('aborted'), { name: 'AbortError' }), 'arm_timeout'],
    [
      'no answer at all',
      Object.assign(new Error('socket hang up'), { name: 'RestError', code: 'REQUEST_SEND_ERROR' }),
      'arm_unavailable',
    ],
    ['a bug', new TypeError('a bug, not an outage'), 'arm_failed'],
  ];
  for (const [what, error, code] of table) {
    it(`${what} → ${code}`, () => {
      const mapped = mapArmError(error, 'list things');
      assert.ok(mapped instanceof ArmError);
      assert.equal(mapped.code, code);
      assert.ok(!mapped.message.includes('raw upstream message'));
    });
  }

  it('passes an On-Behalf-Of failure through unchanged', () => {
    const obo = new OboError('consent_required', 'consent');
    assert.equal(mapArmError(obo, 'list things'), obo);
  });

  it('names the RBAC fix for AuthorizationFailed', () => {
    const mapped = mapArmError(rest(403, 'AuthorizationFailed'), 'list things') as ArmError;
    assert.equal(mapped.armCode, 'AuthorizationFailed');
    assert.match(mapped.message, /RBAC/);
  });
});
