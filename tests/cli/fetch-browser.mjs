#!/usr/bin/env node
// A "browser" for tests of `--auth browser`: run as BROWSER="<node> tests/cli/fetch-browser.mjs". It loads
// the authorize URL, follows redirects (302 Location) and submits a response_mode=form_post page the way a
// browser's auto-submit script does. On a page it cannot go on from (Entra's error page) it answers the CLI's
// loopback listener with access_denied for the pending state, so a failing test ends at once instead of after
// the sign-in timeout (a person would close the window and press Ctrl-C).
import { appendFileSync } from 'node:fs';

const [start] = process.argv.slice(2);
const log = (line) => {
  if (process.env.FETCH_BROWSER_LOG) appendFileSync(process.env.FETCH_BROWSER_LOG, `${line}\n`);
};
const decode = (text) =>
  text
    .replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

async function giveUp(why) {
  log(`give up: ${why}`);
  const authorize = new URL(start);
  const redirect = authorize.searchParams.get('redirect_uri');
  const state = authorize.searchParams.get('state');
  if (!redirect || !state) return;
  await fetch(redirect, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ error: 'access_denied', error_description: `test browser: ${why}`, state }),
    signal: AbortSignal.timeout(5_000),
  }).catch(() => undefined);
}

let url = start;
let init = { method: 'GET' };
for (let hop = 0; hop < 10; hop++) {
  log(`${init.method} ${url}`);
  const res = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(10_000) });
  const location = res.headers.get('location');
  if (res.status >= 300 && res.status < 400 && location) {
    await res.body?.cancel();
    url = new URL(location, url).toString();
    init = { method: 'GET' };
    continue;
  }
  const html = await res.text();
  log(`${res.status} ${html.slice(0, 300)}`);
  const form = /<form[^>]*method="post"[^>]*action="([^"]*)"/i.exec(html);
  if (res.ok && form) {
    const fields = new URLSearchParams();
    for (const m of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)"/gi))
      fields.append(decode(m[1]), decode(m[2]));
    url = new URL(decode(form[1]), url).toString();
    init = {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: fields.toString(),
    };
    continue;
  }
  // Delivered to the CLI's loopback listener: the sign-in is its business now.
  const redirect = new URL(start).searchParams.get('redirect_uri');
  if (redirect && new URL(url).origin === new URL(redirect).origin) process.exit(0);
  await giveUp(`the page at ${new URL(url).pathname} answered HTTP ${res.status}`);
  process.exit(1);
}
await giveUp('too many redirects');
process.exit(1);
