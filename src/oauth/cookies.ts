// The proxy's two browser cookies. The browser cookie ties a sign-in to the browser that started it (the consent
// form and Entra's callback are accepted only from it: no CSRF, no login CSRF). The consent cookie remembers
// which clients (with which redirect URI) the person approved, signed so it cannot be forged.
import { randomBytes } from 'node:crypto';
import { parseCookie, stringifySetCookie } from 'cookie';
import { digest } from './keys.js';
import type { ProxyKeyRing } from './keys.js';
import { isLoopbackRedirect } from './redirect-uris.js';

// __Host-: only this origin, Secure, Path=/ (no sibling host or path can set or overwrite them).
const BROWSER_COOKIE = '__Host-azure-obo-mcp-browser';
const CONSENT_COOKIE = '__Host-azure-obo-mcp-consent';
const BROWSER_VALUE = /^[A-Za-z0-9_-]{43}$/;
const DAY_SEC = 24 * 3600;
/** How long an approval is remembered (and the browser cookie lives). */
export const CONSENT_DAYS = 30;
// Bounds the cookie (~40 bytes an approval); the oldest approvals give way.
const MAX_APPROVALS = 30;

type Approvals = [key: string, expiresAt: number][];

function setCookie(name: string, value: string, maxAgeSec: number): string {
  return stringifySetCookie(name, value, {
    maxAge: maxAgeSec,
    path: '/',
    secure: true,
    httpOnly: true,
    sameSite: 'lax',
  });
}

export function requestCookies(request: Request): Record<string, string | undefined> {
  return parseCookie(request.headers.get('cookie') ?? '');
}

/** This browser's binding value, and the Set-Cookie header to send when it had none yet. */
export function browserBinding(cookies: Record<string, string | undefined>): {
  value: string;
  setCookie: string | undefined;
} {
  const existing = cookies[BROWSER_COOKIE];
  if (existing && BROWSER_VALUE.test(existing)) return { value: existing, setCookie: undefined };
  const value = randomBytes(32).toString('base64url');
  return { value, setCookie: setCookie(BROWSER_COOKIE, value, CONSENT_DAYS * DAY_SEC) };
}

/** The browser's binding value as sent, if it is one. */
export function browserValue(cookies: Record<string, string | undefined>): string | undefined {
  const value = cookies[BROWSER_COOKIE];
  return value && BROWSER_VALUE.test(value) ? value : undefined;
}

/**
 * What an approval is remembered under: the client and its redirect URI (a loopback one without its port, which
 * native clients pick afresh per sign-in).
 */
export function approvalKey(clientIdHash: string, redirectUri: string): string {
  const target = isLoopbackRedirect(redirectUri)
    ? redirectUri.replace(/^(http:\/\/[^/:]+|http:\/\/\[[^\]]+\]):\d+/, '$1')
    : redirectUri;
  return digest(`${clientIdHash} ${target}`).slice(0, 22);
}

async function approvals(keys: ProxyKeyRing, cookie: string | undefined, nowSec: number): Promise<Approvals> {
  if (!cookie) return [];
  const opened = await keys.verify<{ approvals?: unknown }>('consent', cookie);
  if (!opened.ok || !Array.isArray(opened.claims.approvals)) return [];
  return (opened.claims.approvals as unknown[]).filter(
    (a): a is [string, number] =>
      Array.isArray(a) && typeof a[0] === 'string' && typeof a[1] === 'number' && a[1] > nowSec,
  );
}

export async function isApproved(
  keys: ProxyKeyRing,
  cookies: Record<string, string | undefined>,
  key: string,
  nowSec: number,
): Promise<boolean> {
  return (await approvals(keys, cookies[CONSENT_COOKIE], nowSec)).some(([k]) => k === key);
}

/** The Set-Cookie header remembering one more approval for CONSENT_DAYS. */
export async function rememberApproval(
  keys: ProxyKeyRing,
  cookies: Record<string, string | undefined>,
  key: string,
  nowSec: number,
): Promise<string> {
  const expiresAt = nowSec + CONSENT_DAYS * DAY_SEC;
  const kept = (await approvals(keys, cookies[CONSENT_COOKIE], nowSec)).filter(([k]) => k !== key);
  const list: Approvals = [...kept, [key, expiresAt] as [string, number]].slice(-MAX_APPROVALS);
  const value = await keys.sign('consent', { approvals: list }, expiresAt);
  return setCookie(CONSENT_COOKIE, value, CONSENT_DAYS * DAY_SEC);
}
