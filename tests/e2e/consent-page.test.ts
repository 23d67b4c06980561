// The consent page in a real browser (headless Chromium): it renders with its styles and without script, Allow
// and Deny take the browser through Entra ID back to the client (or straight back with access_denied), the CSP
// stops injected script, and the page refuses to be framed. A screenshot is saved for people to look at.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startEmulator } from '../../emulator/index.js';
import type { Emulator } from '../../emulator/index.js';
import { ARTIFACTS_DIR, launchChromium } from '../helpers/chromium.js';
import type { DevHost } from '../helpers/dev-host.js';
import { startProxyHost } from '../helpers/oauth-proxy.js';

let emulator: Emulator;
let host: DevHost;
let browser: Browser;
let clientApp: Server;
let clientOrigin: string;
let redirect: string;
let clientId: string;

before(async () => {
  emulator = await startEmulator();
  host = await startProxyHost(emulator);
  browser = await launchChromium();
  // The MCP client's own pages: its redirect URI, and a page of another site that tries to frame the consent page.
  clientApp = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    res.writeHead(200, { 'content-type': 'text/html' });
    if (url.pathname === '/frame') {
      res.end(`<!doctype html><iframe id="f" src="${url.searchParams.get('src') ?? ''}"></iframe>`);
    } else res.end('<!doctype html><title>Client callback</title><p>Back at the client.</p>');
  });
  await new Promise<void>((resolve) => clientApp.listen(0, '127.0.0.1', resolve));
  clientOrigin = `http://127.0.0.1:${(clientApp.address() as AddressInfo).port}`;
  redirect = `${clientOrigin}/callback`;
  const registered = await fetch(`${new URL(host.mcpUrl).origin}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'Browser Test Client', redirect_uris: [redirect] }),
  });
  clientId = ((await registered.json()) as { client_id: string }).client_id;
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => clientApp?.close(resolve));
  await host?.stop();
  await emulator?.stop();
});

function authorizeUrl(state: string): string {
  const url = new URL(`${new URL(host.mcpUrl).origin}/oauth/authorize`);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirect,
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
    state,
    resource: host.mcpUrl,
  }).toString();
  return url.toString();
}

/** A fresh browser profile (no cookies: no remembered consent), accepting the emulator's throwaway certificates. */
async function freshPage(): Promise<{ context: BrowserContext; page: Page; violations: string[] }> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
  });
  return { context, page, violations };
}

describe('consent page in Chromium', () => {
  it('renders the client, where it sends you, what it may do, and styled Allow/Deny buttons; a screenshot is saved', async () => {
    const { context, page, violations } = await freshPage();
    try {
      const response = await page.goto(authorizeUrl('render'));
      assert.equal(response?.status(), 200);
      assert.equal(await page.title(), 'Allow Browser Test Client to use Azure as you?');
      const text = await page.locator('main').innerText();
      assert.match(text, /Browser Test Client/);
      assert.match(text, /Unverified client/);
      assert.match(text, new RegExp(clientOrigin.replace('http://', '')));
      assert.match(text, /list your Azure subscriptions/);
      assert.equal(await page.locator('button[name="decision"][value="approve"]').count(), 1);
      assert.equal(await page.locator('button[name="decision"][value="deny"]').count(), 1);
      // The stylesheet is allowed by its hash: the approve button has its colour, and nothing was refused.
      const background = await page
        .locator('button[value="approve"]')
        .evaluate((b) => getComputedStyle(b).backgroundColor);
      assert.equal(background, 'rgb(15, 108, 189)');
      assert.deepEqual(violations, []);
      await page.screenshot({ path: join(ARTIFACTS_DIR, 'consent-page.png'), fullPage: true });
    } finally {
      await context.close();
    }
  });

  it('Allow: the browser goes through Entra ID and comes back to the client with a code, the state and iss', async () => {
    const { context, page } = await freshPage();
    try {
      await page.goto(authorizeUrl('approve-me'));
      await Promise.all([
        page.waitForURL((u) => u.toString().startsWith(redirect)),
        page.click('button[value="approve"]'),
      ]);
      const back = new URL(page.url());
      assert.ok(back.searchParams.get('code'), page.url());
      assert.equal(back.searchParams.get('state'), 'approve-me');
      assert.equal(back.searchParams.get('iss'), new URL(host.mcpUrl).origin);
      assert.equal(await page.title(), 'Client callback');
      // The approval is remembered for this client: the next sign-in goes straight to Entra ID and back.
      await page.goto(authorizeUrl('again'));
      await page.waitForURL((u) => u.toString().startsWith(redirect));
      assert.equal(new URL(page.url()).searchParams.get('state'), 'again');
      const cookies = await context.cookies(new URL(host.mcpUrl).origin);
      const consent = cookies.find((c) => c.name === '__Host-azure-obo-mcp-consent');
      assert.ok(consent, JSON.stringify(cookies.map((c) => c.name)));
      assert.equal(consent.httpOnly, true);
      assert.equal(consent.secure, true);
      assert.equal(consent.sameSite, 'Lax');
    } finally {
      await context.close();
    }
  });

  it('Deny: the browser goes back to the client with access_denied, without visiting Entra ID', async () => {
    const { context, page } = await freshPage();
    const visited: string[] = [];
    page.on('request', (r) => visited.push(r.url()));
    try {
      await page.goto(authorizeUrl('deny-me'));
      await Promise.all([
        page.waitForURL((u) => u.toString().startsWith(redirect)),
        page.click('button[value="deny"]'),
      ]);
      const back = new URL(page.url());
      assert.equal(back.searchParams.get('error'), 'access_denied');
      assert.equal(back.searchParams.get('state'), 'deny-me');
      assert.equal(back.searchParams.get('code'), null);
      assert.ok(!visited.some((u) => u.startsWith(emulator.entraUrl)), visited.join('\n'));
    } finally {
      await context.close();
    }
  });

  it('the CSP holds: script injected into the page does not run', async () => {
    const { context, page, violations } = await freshPage();
    try {
      await page.goto(authorizeUrl('csp'));
      const ran = await page.evaluate(() => {
        const script = document.createElement('script');
        script.textContent = 'document.body.dataset.injected = "yes"';
        document.body.appendChild(script);
        return document.body.dataset.injected ?? 'no';
      });
      assert.equal(ran, 'no');
      assert.ok(
        violations.some((v) => /script/i.test(v)),
        `a CSP violation is reported: ${violations.join('\n')}`,
      );
    } finally {
      await context.close();
    }
  });

  it('the page cannot be framed by another site (frame-ancestors, X-Frame-Options)', async () => {
    const { context, page } = await freshPage();
    try {
      await page.goto(`${clientOrigin}/frame?src=${encodeURIComponent(authorizeUrl('frame'))}`);
      await page.waitForTimeout(500);
      const frame = page.frames().find((f) => f !== page.mainFrame());
      assert.ok(frame, 'the iframe exists');
      const framed = await frame.evaluate(() => document.body?.innerText ?? '').catch(() => '');
      assert.doesNotMatch(framed, /Allow|Browser Test Client/);
    } finally {
      await context.close();
    }
  });
});
