import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ServerError } from '@azure/msal-node';
import { OboError } from '../../src/errors.js';
import { mapMsalError } from '../../src/obo/obo-client.js';

function server(code: string, message: string, sub = ''): ServerError {
  return new ServerError(code, 'corr', message, sub);
}

describe('mapMsalError', () => {
  const table: [ServerError, string][] = [
    [
      server('invalid_grant', 'AADSTS65001: The user or administrator has not consented', 'consent_required'),
      'consent_required',
    ],
    [server('invalid_grant', 'AADSTS50013: Assertion failed signature validation.'), 'invalid_grant'],
    [server('interaction_required', 'AADSTS50076: MFA required'), 'interaction_required'],
    [server('invalid_client', 'AADSTS7000215: Invalid client secret provided.'), 'invalid_client'],
    [server('unauthorized_client', 'AADSTS700016: app not found'), 'unauthorized_client'],
    [server('invalid_scope', 'AADSTS70011: scope'), 'invalid_scope'],
    [server('temporarily_unavailable', 'AADSTS90033: busy'), 'obo_unavailable'],
    [server('server_error', 'AADSTS90000: hmm'), 'obo_failed'],
  ];
  for (const [error, code] of table) {
    it(`${error.errorCode}/${error.subError || '-'} → ${code}`, () => {
      const mapped = mapMsalError(error);
      assert.ok(mapped instanceof OboError);
      assert.equal(mapped.code, code);
    });
  }

  it('keeps the AADSTS number, and never the raw message', () => {
    const mapped = mapMsalError(
      server('invalid_client', 'AADSTS7000222: secret expired eyJhbGciOi.eyJzdWIi.sig'),
    );
    assert.ok(mapped instanceof OboError);
    assert.equal(mapped.aadsts, 7000222);
    assert.ok(!mapped.message.includes('eyJ'));
  });
});
