import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { consentPage, errorPage } from '../../src/oauth/pages.js';
import type { ConsentView, Page } from '../../src/oauth/pages.js';

const VIEW: ConsentView = {
  clientName: 'Example MCP Client',
  publisher: 'client.example.com',
  redirectTarget: 'client.example.com',
  loopback: false,
  redirectUri: 'https://client.example.com/callback',
  resource: 'https://mcp.contoso.example/mcp',
  scope: 'api://3f2e1d0c-9b8a-4765-8432-10fedcba9876/execute',
  transaction: 'sealed.transaction.value.of.form',
  csrf: 'csrf-token-value',
  formTargets: ['https://login.microsoftonline.com', 'https://client.example.com'],
};

const HOSTILE = '"><script>alert(1)</script><img src=x onerror=alert(2)>\'<iframe src=//evil>';

/** The page's content, without the style sheet (whose class names are no text). */
function main(page: Page): string {
  return page.body.replace(/<style>[\s\S]*?<\/style>/, '');
}

/** The page's CSP as directive → sources. */
function csp(page: Page): Map<string, string[]> {
  const header = page.headers['Content-Security-Policy'] ?? '';
  return new Map(
    header
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name = '', ...sources]) => [name, sources]),
  );
}

/** Asserts no element or attribute a hostile value could inject is in `html`. */
function assertInert(html: string): void {
  assert.doesNotMatch(html, /<script/i);
  assert.doesNotMatch(html, /<img/i);
  assert.doesNotMatch(html, /<iframe/i);
  // Every attribute of every tag is one this module writes: no event handler, no breaking out of a value.
  for (const tag of html.match(/<[a-z][^>]*>/gi) ?? []) {
    // Outside its quoted values a tag holds only its name and attribute names.
    const bare = tag.replace(/="[^"]*"/g, '');
    assert.match(bare, /^<[a-z0-9]+(\s[a-z-]+)*>$/i, `unexpected markup in ${tag}`);
    assert.doesNotMatch(bare, /\son[a-z]+/i, tag);
  }
}

function assertPageHeaders(page: Page): void {
  assert.equal(page.headers['Content-Type'], 'text/html; charset=utf-8');
  assert.equal(page.headers['X-Frame-Options'], 'DENY');
  assert.equal(page.headers['Cache-Control'], 'no-store');
  assert.equal(page.headers['X-Content-Type-Options'], 'nosniff');
  const policy = csp(page);
  assert.deepEqual(policy.get('frame-ancestors'), ["'none'"]);
  assert.deepEqual(policy.get('default-src'), ["'none'"], 'no script source falls back on anything');
  assert.equal(policy.has('script-src'), false);
  assert.ok(!(page.headers['Content-Security-Policy'] ?? '').includes('unsafe-inline'));
  assert.deepEqual(policy.get('base-uri'), ["'none'"]);
  // The one inline style is allowed by its hash, and only it.
  const styles = [...page.body.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1] ?? '');
  assert.equal(styles.length, 1);
  const hash = createHash('sha256')
    .update(styles[0] ?? '')
    .digest('base64');
  assert.deepEqual(policy.get('style-src'), [`'sha256-${hash}'`]);
  assert.doesNotMatch(page.body, /\sstyle=/i, 'no style attributes (the hash does not cover them)');
}

describe('consentPage', () => {
  it('answers 200 with the headers of a page that cannot be framed, scripted or cached', () => {
    const page = consentPage(VIEW);
    assert.equal(page.status, 200);
    assertPageHeaders(page);
  });

  it('lets the form go to this server and through the redirects it leads to, nowhere else', () => {
    assert.deepEqual(csp(consentPage(VIEW)).get('form-action'), [
      "'self'",
      'https://login.microsoftonline.com',
      'https://client.example.com',
    ]);
  });

  it('is a plain form posting the decision, the transaction and the CSRF token', () => {
    const { body } = consentPage(VIEW);
    assert.match(body, /<form method="post" action="\/oauth\/consent">/);
    assert.match(body, /<button type="submit" name="decision" value="approve">/);
    assert.match(body, /<button type="submit" name="decision" value="deny">/);
    assert.ok(body.includes(`<input type="hidden" name="transaction" value="${VIEW.transaction}">`));
    assert.ok(body.includes(`<input type="hidden" name="csrf" value="${VIEW.csrf}">`));
    assertInert(body);
  });

  it('names the client, where it sends the browser, the server and the permission', () => {
    const { body } = consentPage(VIEW);
    for (const text of [VIEW.clientName, VIEW.redirectUri, VIEW.resource, VIEW.scope]) {
      assert.ok(body.includes(text), text);
    }
    assert.match(body, /<title>[^<]*Example MCP Client[^<]*<\/title>/);
  });

  it('shows a metadata document client as published at its host', () => {
    const body = main(consentPage({ ...VIEW, publisher: 'client.example.com' }));
    assert.match(body, /published at <strong>client\.example\.com<\/strong>/);
    assert.doesNotMatch(body, /unverified/i);
  });

  it('marks a registered (DCR) client unverified', () => {
    const body = main(consentPage({ ...VIEW, publisher: undefined }));
    assert.match(body, /Unverified client/);
    assert.doesNotMatch(body, /published at/);
  });

  it('says a loopback redirect stays on this computer, and only then', () => {
    const loopback = consentPage({
      ...VIEW,
      redirectTarget: '127.0.0.1:51234',
      redirectUri: 'http://127.0.0.1:51234/callback',
      loopback: true,
    });
    assert.match(loopback.body, /This computer/);
    assert.doesNotMatch(consentPage(VIEW).body, /This computer/);
  });

  for (const field of [
    'clientName',
    'publisher',
    'redirectTarget',
    'redirectUri',
    'resource',
    'scope',
  ] as const) {
    it(`escapes a hostile ${field}`, () => {
      const page = consentPage({ ...VIEW, [field]: HOSTILE });
      assertInert(page.body);
      assert.ok(page.body.includes('&#60;script&#62;alert(1)&#60;/script&#62;'), 'shown as text');
    });
  }

  for (const field of ['transaction', 'csrf'] as const) {
    it(`keeps a hostile ${field} inside its attribute`, () => {
      const page = consentPage({ ...VIEW, [field]: HOSTILE });
      assertInert(page.body);
      const input = new RegExp(`<input type="hidden" name="${field}" value="([^"]*)">`).exec(page.body);
      assert.ok(input, 'the hidden input is intact');
      assert.ok(!input[1]?.includes('<'));
    });
  }

  it('escapes a hostile client name in the title as well', () => {
    const { body } = consentPage({ ...VIEW, clientName: '</title><script>alert(1)</script>' });
    assert.match(body, /<title>[^<]*&#60;\/title&#62;&#60;script&#62;[^<]*<\/title>/);
    assertInert(body);
  });
});

describe('errorPage', () => {
  it('answers the status with the title and detail, and the same protective headers', () => {
    const page = errorPage(
      400,
      'This sign-in request cannot be completed',
      'The redirect_uri is not registered.',
    );
    assert.equal(page.status, 400);
    assertPageHeaders(page);
    assert.match(page.body, /<h1>This sign-in request cannot be completed<\/h1>/);
    assert.ok(page.body.includes('The redirect_uri is not registered.'));
    assert.match(page.body, /Nothing was sent to the application/);
  });

  it('has no form: its form-action is this server only', () => {
    const page = errorPage(403, 'Forbidden', 'detail');
    assert.deepEqual(csp(page).get('form-action'), ["'self'"]);
    assert.doesNotMatch(page.body, /<form/);
  });

  it('escapes a hostile title and detail', () => {
    const page = errorPage(400, HOSTILE, HOSTILE);
    assertInert(page.body);
    assert.ok(page.body.includes('&#60;script&#62;'));
  });
});
