import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OAuthProxyError } from '../../src/errors.js';
import {
  authorizationErrorPage,
  jsonResponse,
  oauthDescription,
  oauthErrorJson,
  pageResponse,
  redirectError,
  redirectResponse,
} from '../../src/oauth/responses.js';
import { errorPage } from '../../src/oauth/pages.js';

// RFC 6749 §4.1.2.1 and §5.2: error_description is %x20-21 / %x23-5B / %x5D-7E.
const DESCRIPTION_CHARSET = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const ISSUER = 'https://mcp.contoso.example';

function authorizeRequest(accept?: string): Request {
  return new Request(`${ISSUER}/oauth/authorize?client_id=x`, accept ? { headers: { accept } } : {});
}

async function jsonOf(response: Response): Promise<Record<string, unknown>> {
  return (await response.json()) as Record<string, unknown>;
}

describe('oauthDescription', () => {
  for (const [name, text] of [
    ['quotes and backslashes', 'say "hi" \\ there'],
    ['line breaks and tabs', 'line one\r\nline two\tend'],
    ['non-ASCII', 'Zugriff verweigert – für Benutzer “Ä”'],
    ['bidi and zero-width characters', 'abc\u202edef\u200bghi'],
    ['control characters', 'a\u0000b\u0007c\u007fd\u009be'],
    ['an emoji', 'done \u{1F600}'],
  ] as const) {
    it(`keeps to the RFC 6749 character set: ${name}`, () => {
      const out = oauthDescription(text);
      assert.match(out, DESCRIPTION_CHARSET);
      assert.ok(out.length > 0);
    });
  }

  it('keeps every allowed character as it is', () => {
    const allowed = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i))
      .filter((c) => c !== '"' && c !== '\\')
      .join('');
    assert.equal(oauthDescription(`x${allowed}x`), `x${allowed}x`);
  });

  it('keeps the words around what it removes apart', () => {
    assert.equal(oauthDescription('Entra\nsaid "no"'), 'Entra said  no');
  });

  it('bounds the length', () => {
    assert.ok(oauthDescription('x'.repeat(5000)).length <= 300);
  });

  it('trims', () => {
    assert.equal(oauthDescription('\n  padded  \n'), 'padded');
  });
});

describe('jsonResponse', () => {
  it('is JSON, never cached, readable cross-origin', async () => {
    const response = jsonResponse(201, { client_id: 'x' });
    assert.equal(response.status, 201);
    assert.equal(response.headers.get('content-type'), 'application/json');
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.equal(response.headers.get('pragma'), 'no-cache');
    // CORS is the function layer's (src/functions/oauth.ts), as for the public documents.
    assert.equal(response.headers.get('access-control-allow-origin'), null);
    assert.equal(
      response.headers.get('access-control-allow-credentials'),
      null,
      'no credentials cross-origin',
    );
    assert.deepEqual(await jsonOf(response), { client_id: 'x' });
  });

  it('lets a caller override a header', () => {
    const response = jsonResponse(200, {}, { 'Cache-Control': 'public, max-age=3600' });
    assert.equal(response.headers.get('cache-control'), 'public, max-age=3600');
  });
});

describe('oauthErrorJson', () => {
  for (const [code, status] of [
    ['invalid_request', 400],
    ['invalid_grant', 400],
    ['invalid_client', 401],
    ['invalid_target', 400],
    ['invalid_redirect_uri', 400],
    ['server_error', 500],
    ['temporarily_unavailable', 503],
  ] as const) {
    it(`${code}: HTTP ${status}, the RFC 6749 §5.2 body, no-store`, async () => {
      const response = oauthErrorJson(new OAuthProxyError(code, 'What went wrong.'));
      assert.equal(response.status, status);
      assert.equal(response.headers.get('cache-control'), 'no-store');
      // CORS is the function layer's (src/functions/oauth.ts), as for the public documents.
      assert.equal(response.headers.get('access-control-allow-origin'), null);
      assert.deepEqual(await jsonOf(response), { error: code, error_description: 'What went wrong.' });
    });
  }

  it('sends Retry-After when the error has one', () => {
    const error = new OAuthProxyError('temporarily_unavailable', 'Retry.', { retryAfterSec: 30 });
    assert.equal(oauthErrorJson(error).headers.get('retry-after'), '30');
    assert.equal(oauthErrorJson(new OAuthProxyError('server_error', 'x')).headers.get('retry-after'), null);
  });

  it('keeps the description to the RFC character set', async () => {
    const body = await jsonOf(oauthErrorJson(new OAuthProxyError('invalid_request', 'bad "value"\nhere')));
    assert.match(String(body.error_description), DESCRIPTION_CHARSET);
  });

  it('honours an explicit status', () => {
    const error = new OAuthProxyError('invalid_client_metadata', 'Too large.', { status: 413 });
    assert.equal(oauthErrorJson(error).status, 413);
  });
});

describe('redirectResponse', () => {
  it('302s to the redirect URI with the parameters added to its own query', () => {
    const response = redirectResponse('https://client.example.com/cb?keep=1', { code: 'c', state: 's' });
    assert.equal(response.status, 302);
    const location = new URL(response.headers.get('location') ?? '');
    assert.equal(location.origin + location.pathname, 'https://client.example.com/cb');
    assert.deepEqual(
      [...location.searchParams],
      [
        ['keep', '1'],
        ['code', 'c'],
        ['state', 's'],
      ],
    );
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
  });

  it('leaves out undefined parameters', () => {
    const location = redirectResponse('https://client.example.com/cb', {
      code: 'c',
      state: undefined,
    }).headers.get('location');
    assert.equal(new URL(location ?? '').searchParams.has('state'), false);
  });

  it('redirects to a private-use scheme', () => {
    const response = redirectResponse('com.example.app:/oauth2redirect', { code: 'c' });
    assert.equal(response.headers.get('location'), 'com.example.app:/oauth2redirect?code=c');
  });

  it('sets the cookie it is given', () => {
    const response = redirectResponse('https://client.example.com/cb', {}, 'a=b; Path=/');
    assert.equal(response.headers.get('set-cookie'), 'a=b; Path=/');
  });

  it('encodes parameter values', () => {
    const location = redirectResponse('https://client.example.com/cb', { state: 'a&b=c #d' }).headers.get(
      'location',
    );
    assert.equal(new URL(location ?? '').searchParams.get('state'), 'a&b=c #d');
  });
});

describe('redirectError', () => {
  it('sends error, error_description, state and iss (RFC 9207) to the redirect URI', () => {
    const response = redirectError(
      'http://127.0.0.1:5000/callback',
      new OAuthProxyError('access_denied', 'The user denied access.'),
      'client-state',
      ISSUER,
    );
    assert.equal(response.status, 302);
    const location = new URL(response.headers.get('location') ?? '');
    assert.equal(location.origin + location.pathname, 'http://127.0.0.1:5000/callback');
    assert.equal(location.searchParams.get('error'), 'access_denied');
    assert.equal(location.searchParams.get('error_description'), 'The user denied access.');
    assert.equal(location.searchParams.get('state'), 'client-state');
    assert.equal(location.searchParams.get('iss'), ISSUER);
  });

  it('sends no state when the request had none', () => {
    const response = redirectError(
      'https://client.example.com/cb',
      new OAuthProxyError('invalid_scope', 'No.'),
      undefined,
      ISSUER,
    );
    const location = new URL(response.headers.get('location') ?? '');
    assert.equal(location.searchParams.has('state'), false);
    assert.equal(location.searchParams.get('iss'), ISSUER);
  });

  it('keeps the description to the RFC character set', () => {
    const response = redirectError(
      'https://client.example.com/cb',
      new OAuthProxyError('access_denied', 'Entra ID: “AADSTS53003”\nblocked'),
      's',
      ISSUER,
    );
    const description = new URL(response.headers.get('location') ?? '').searchParams.get('error_description');
    assert.match(description ?? '', DESCRIPTION_CHARSET);
    assert.match(description ?? '', /AADSTS53003/);
  });
});

describe('pageResponse', () => {
  it('answers the page with its status, headers and cookie', async () => {
    const response = pageResponse(errorPage(403, 'Forbidden', 'No.'), 'x=y; Path=/');
    assert.equal(response.status, 403);
    assert.equal(response.headers.get('x-frame-options'), 'DENY');
    assert.equal(response.headers.get('set-cookie'), 'x=y; Path=/');
    assert.match(await response.text(), /<h1>Forbidden<\/h1>/);
  });
});

describe('authorizationErrorPage', () => {
  const error = new OAuthProxyError(
    'invalid_client',
    'This client_id is unknown here; register the client again.',
  );

  it('answers JSON to a client asking for application/json (mcp-remote checks its registration so)', async () => {
    const response = authorizationErrorPage(error, authorizeRequest('application/json'));
    assert.equal(response.status, 400);
    assert.equal(response.headers.get('content-type'), 'application/json');
    assert.equal(response.headers.get('location'), null);
    assert.deepEqual(await jsonOf(response), {
      error: 'invalid_client',
      error_description: 'This client_id is unknown here; register the client again.',
    });
  });

  for (const accept of [undefined, 'text/html', 'text/html,application/json;q=0.9', '*/*']) {
    it(`answers an HTML error page, never a redirect, to Accept: ${accept ?? '(none)'}`, async () => {
      const response = authorizationErrorPage(error, authorizeRequest(accept));
      assert.equal(response.status, 400);
      assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.equal(response.headers.get('location'), null);
      assert.equal(response.headers.get('x-frame-options'), 'DENY');
      assert.match(await response.text(), /register the client again/);
    });
  }

  it('keeps a server error a 5xx in both forms', () => {
    const failure = new OAuthProxyError('temporarily_unavailable', 'Retry shortly.');
    assert.equal(authorizationErrorPage(failure, authorizeRequest('application/json')).status, 503);
    assert.equal(authorizationErrorPage(failure, authorizeRequest()).status, 503);
  });

  it('escapes the description on the page', async () => {
    const hostile = new OAuthProxyError('invalid_request', 'bad <script>alert(1)</script>');
    const html = await authorizationErrorPage(hostile, authorizeRequest()).text();
    assert.doesNotMatch(html, /<script/);
  });
});
