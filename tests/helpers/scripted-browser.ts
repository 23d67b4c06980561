// A browser without a screen for the OAuth proxy's tests: it keeps cookies per origin (as Set-Cookie says), follows
// redirects one at a time, reads the consent page's form and submits it like a browser would (Origin header,
// urlencoded body). It stops before fetching the client's redirect URI, whose URL is the result.
import { parseSetCookie } from 'cookie';

export interface Hop {
  url: string;
  status: number;
  headers: Headers;
  body: string;
}

export interface ConsentForm {
  action: string;
  fields: Record<string, string>;
}

function decodeEntities(text: string): string {
  return text.replace(/&#(\d+);/g, (_m, n: string) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&');
}

/** The consent page's form: its action and hidden fields (the page is this server's own, plain HTML). */
export function consentForm(html: string, pageUrl: string): ConsentForm {
  const action = /<form method="post" action="([^"]+)">/.exec(html)?.[1];
  if (!action) throw new Error(`no consent form in the page:\n${html.slice(0, 400)}`);
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields[m[1]!] = decodeEntities(m[2]!);
  }
  return { action: new URL(decodeEntities(action), pageUrl).toString(), fields };
}

export class ScriptedBrowser {
  /** origin → cookie name → value */
  readonly jar = new Map<string, Map<string, string>>();
  readonly hops: Hop[] = [];

  cookieNames(origin: string): string[] {
    return [...(this.jar.get(origin)?.keys() ?? [])];
  }

  clearCookies(): void {
    this.jar.clear();
  }

  #cookieHeader(url: URL): string | undefined {
    const cookies = this.jar.get(url.origin);
    if (!cookies || cookies.size === 0) return undefined;
    return [...cookies].map(([n, v]) => `${n}=${v}`).join('; ');
  }

  #store(url: URL, headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const cookie = parseSetCookie(line);
      let cookies = this.jar.get(url.origin);
      if (!cookies) this.jar.set(url.origin, (cookies = new Map<string, string>()));
      if (cookie.maxAge !== undefined && cookie.maxAge <= 0) cookies.delete(cookie.name);
      else cookies.set(cookie.name, cookie.value ?? '');
    }
  }

  /** One request, no redirect followed. */
  async request(
    url: string,
    init: {
      method?: string;
      form?: Record<string, string>;
      origin?: string;
      headers?: Record<string, string>;
    } = {},
  ): Promise<Hop> {
    const target = new URL(url);
    const headers = new Headers({ accept: 'text/html,application/xhtml+xml' });
    const cookie = this.#cookieHeader(target);
    if (cookie) headers.set('cookie', cookie);
    let body: string | undefined;
    if (init.form) {
      headers.set('content-type', 'application/x-www-form-urlencoded');
      body = new URLSearchParams(init.form).toString();
    }
    if (init.origin) headers.set('origin', init.origin);
    for (const [name, value] of Object.entries(init.headers ?? {})) headers.set(name, value);
    for (const [name, value] of Object.entries(init.headers ?? {})) headers.set(name, value);
    const res = await fetch(target, { method: init.method ?? 'GET', headers, body, redirect: 'manual' });
    this.#store(target, res.headers);
    const hop = { url, status: res.status, headers: res.headers, body: await res.text() };
    this.hops.push(hop);
    return hop;
  }

  /**
   * Follows redirects from `first` until one points at a URL `stop` accepts (returned, not fetched) or a page is
   * answered (returned as the last hop).
   */
  async follow(first: Hop, stop: (url: URL) => boolean): Promise<{ stoppedAt?: URL; page?: Hop }> {
    let hop = first;
    for (let i = 0; i < 10; i++) {
      if (hop.status < 300 || hop.status >= 400) return { page: hop };
      const location = hop.headers.get('location');
      if (!location) throw new Error(`redirect ${hop.status} without Location from ${hop.url}`);
      const next = new URL(location, hop.url);
      if (stop(next)) return { stoppedAt: next };
      hop = await this.request(next.toString());
    }
    throw new Error('too many redirects');
  }

  /** Opens `url` and follows it; the consent page (or any page) or the stop URL. */
  async open(url: string, stop: (url: URL) => boolean): Promise<{ stoppedAt?: URL; page?: Hop }> {
    return this.follow(await this.request(url), stop);
  }

  /** Submits the consent page's form with `decision`, then follows the redirects. */
  async decide(
    page: Hop,
    decision: 'approve' | 'deny',
    stop: (url: URL) => boolean,
  ): Promise<{ stoppedAt?: URL; page?: Hop }> {
    const form = consentForm(page.body, page.url);
    const posted = await this.request(form.action, {
      method: 'POST',
      form: { ...form.fields, decision },
      origin: new URL(page.url).origin,
    });
    return this.follow(posted, stop);
  }
}
