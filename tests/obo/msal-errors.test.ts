import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InteractionRequiredAuthError, ServerError } from '@azure/msal-node';
import { OboError } from '../../src/errors.js';
import { mapMsalError } from '../../src/obo/msal-errors.js';

function server(code: string, message: string, sub = ''): ServerError {
  return new ServerError(code, 'corr', message, sub);
}

describe('mapMsalError', () => {
  const table: [ServerError, string][] = [
    [
      server('invalid_grant', 'AADSTS65001: The user or administrator has not consented', 'consent_required'),
      'consent_required',
    ],
    [
      server('invalid_grant', 'AADSTS50173: The provided grant has expired due to it being revoked.'),
      'invalid_grant',
    ],
    [server('invalid_grant', 'AADSTS50013: Assertion failed signature validation.'), 'obo_failed'],
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

  const CLAIMS = '{"access_token":{"capolids":{"essential":true,"values":["c1"]}}}';

  it('interaction_required with claims (InteractionRequiredAuthError) keeps the claims', () => {
    const error = new InteractionRequiredAuthError(
      'interaction_required',
      'corr',
      'AADSTS50076: MFA required',
      '',
      '',
      '',
      CLAIMS,
      '50076',
    );
    const mapped = mapMsalError(error);
    assert.ok(mapped instanceof OboError);
    assert.equal(mapped.code, 'interaction_required');
    assert.equal(mapped.claims, CLAIMS);
    assert.equal(mapped.aadsts, 50076);
    assert.equal(mapped.needsReauthentication, true);
  });

  it('invalid_grant with claims (plain ServerError) takes them from the token answer', () => {
    const mapped = mapMsalError(server('invalid_grant', 'AADSTS50079: enrol MFA'), {
      status: 400,
      claims: CLAIMS,
      retryAfterSec: undefined,
    });
    assert.ok(mapped instanceof OboError);
    assert.equal(mapped.code, 'invalid_grant');
    assert.equal(mapped.claims, CLAIMS);
  });

  it('invalid_grant without claims needs re-authentication, without claims', () => {
    const mapped = mapMsalError(server('invalid_grant', 'AADSTS50173: session revoked'));
    assert.ok(mapped instanceof OboError);
    assert.equal(mapped.claims, undefined);
    assert.equal(mapped.needsReauthentication, true);
  });

  it('invalid_grant of a server-side fault (AADSTS50013) is a tool error, not a sign-in loop', () => {
    const mapped = mapMsalError(server('invalid_grant', 'AADSTS50013: assertion audience does not match'));
    assert.ok(mapped instanceof OboError);
    assert.equal(mapped.code, 'obo_failed');
    assert.equal(mapped.aadsts, 50013);
    assert.equal(mapped.needsReauthentication, false);
  });

  it('invalid_grant without an AADSTS number is a tool error too', () => {
    const mapped = mapMsalError(server('invalid_grant', 'no number'));
    assert.ok(mapped instanceof OboError);
    assert.equal(mapped.needsReauthentication, false);
  });

  it('interaction_required without claims stays a tool error (nothing the client could send)', () => {
    const mapped = mapMsalError(server('interaction_required', 'AADSTS50158: external challenge'));
    assert.ok(mapped instanceof OboError);
    assert.equal(mapped.needsReauthentication, false);
  });

  it('consent_required stays a tool error even with claims (an admin must act)', () => {
    const mapped = mapMsalError(server('invalid_grant', 'AADSTS65001: not consented', 'consent_required'), {
      status: 400,
      claims: CLAIMS,
      retryAfterSec: undefined,
    });
    assert.ok(mapped instanceof OboError);
    assert.equal(mapped.code, 'consent_required');
    assert.equal(mapped.needsReauthentication, false);
  });

  for (const claims of ['not json', '[1]', 'null', '"x"']) {
    it(`ignores claims that are not a JSON object: ${claims}`, () => {
      const mapped = mapMsalError(server('invalid_grant', 'AADSTS50079: x'), {
        status: 400,
        claims,
        retryAfterSec: undefined,
      });
      assert.ok(mapped instanceof OboError);
      assert.equal(mapped.claims, undefined);
    });
  }

  it('429 with Retry-After → obo_throttled carrying the hint (capped at 5 minutes)', () => {
    const error = server('temporarily_unavailable', 'AADSTS90055: throttled');
    const mapped = mapMsalError(error, { status: 429, claims: undefined, retryAfterSec: 17 });
    assert.ok(mapped instanceof OboError);
    assert.equal(mapped.code, 'obo_throttled');
    assert.equal(mapped.retryAfterSec, 17);
    assert.match(mapped.message, /retry in 17 seconds/);
    const huge = mapMsalError(error, { status: 429, claims: undefined, retryAfterSec: 999_999 });
    assert.equal((huge as OboError).retryAfterSec, 300);
  });

  it('429 with Retry-After: 0 stays obo_unavailable (no window to honour)', () => {
    const mapped = mapMsalError(server('temporarily_unavailable', 'AADSTS90055: throttled'), {
      status: 429,
      claims: undefined,
      retryAfterSec: 0,
    });
    assert.equal((mapped as OboError).code, 'obo_unavailable');
  });

  it('429 without Retry-After stays obo_unavailable', () => {
    const mapped = mapMsalError(server('temporarily_unavailable', 'AADSTS90055: throttled'), {
      status: 429,
      claims: undefined,
      retryAfterSec: undefined,
    });
    assert.equal((mapped as OboError).code, 'obo_unavailable');
  });
});
