// The two pages a person sees: the consent page (before Entra ID's sign-in) and the error page (when nothing can
// be sent back to the client). Plain HTML forms, no script: they work without JavaScript, and the CSP forbids any.
import { createHash } from 'node:crypto';
import { escapeHtml } from '../util/text.js';

const STYLE = [
  'body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f4f5f7;color:#1b1b1f}',
  'main{max-width:34rem;margin:3rem auto;background:#fff;border:1px solid #d8dbe0;border-radius:8px;padding:2rem}',
  'h1{font-size:1.35rem;margin:0 0 1rem}',
  'dl{margin:1.25rem 0}dt{font-weight:600;margin-top:.75rem}dd{margin:.15rem 0 0}',
  '.verified{color:#0b6a0b}.unverified{color:#a4262c;font-weight:600}',
  'code{background:#f0f1f3;padding:.05rem .3rem;border-radius:4px;word-break:break-all}',
  '.actions{display:flex;gap:.75rem;margin-top:1.5rem}',
  'button{font:inherit;padding:.55rem 1.4rem;border-radius:6px;border:1px solid #8a8d93;background:#fff;cursor:pointer}',
  'button[value=approve]{background:#0f6cbd;border-color:#0f6cbd;color:#fff}',
  '.note{color:#55585e;font-size:.9rem}',
].join('');
const STYLE_HASH = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;

export interface Page {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Headers of every page: no framing (clickjacking of the approve button), no script, nothing cached. `formTargets`
 * are the origins a form submission may end up at (its redirects included, which browsers check too).
 */
function pageHeaders(formTargets: string[] = []): Record<string, string> {
  const formAction = ["'self'", ...formTargets].join(' ');
  return {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': `default-src 'none'; style-src ${STYLE_HASH}; img-src 'none'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
    'X-Frame-Options': 'DENY',
    'X-Content-Type-Options': 'nosniff',
    // Not no-referrer: with it, browsers send `Origin: null` with the consent form, which the form check refuses.
    'Referrer-Policy': 'same-origin',
    'Cache-Control': 'no-store',
    Pragma: 'no-cache',
  };
}

function document(title: string, main: string): string {
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>` +
    `<body><main>${main}</main></body></html>`
  );
}

export interface ConsentView {
  clientName: string;
  /** Metadata document clients: the host publishing it; registered (DCR) clients: undefined (unverified). */
  publisher: string | undefined;
  /** Where the browser goes after the sign-in: the redirect URI's host (or app scheme). */
  redirectTarget: string;
  /** The redirect URI is on this computer (loopback). */
  loopback: boolean;
  redirectUri: string;
  /** The MCP server's URL, the resource the client gets access to. */
  resource: string;
  /** The permission the sign-in asks Entra ID for. */
  scope: string;
  /** Hidden fields of the form. */
  transaction: string;
  csrf: string;
  /** Origins the approve or deny submission redirects through (Entra ID, the client's redirect URI). */
  formTargets: string[];
}

/** The consent page: who asks, where the browser will be sent, what it may do, and the two buttons. */
export function consentPage(view: ConsentView): Page {
  const name = escapeHtml(view.clientName);
  const who = view.publisher
    ? `<p class="verified">Its identity is published at <strong>${escapeHtml(view.publisher)}</strong>.</p>`
    : `<p><span class="unverified">Unverified client.</span> It registered itself with this server; its name is its own claim, not checked by anyone.</p>`;
  const main =
    `<h1>Allow <strong>${name}</strong> to use Azure as you?</h1>` +
    who +
    `<dl>` +
    `<dt>Where it sends you back</dt><dd><strong>${escapeHtml(view.redirectTarget)}</strong> <span class="note">(<code>${escapeHtml(view.redirectUri)}</code>)</span>${view.loopback ? '<br><span class="note">This computer: only a program running on your machine receives the sign-in.</span>' : ''}</dd>` +
    `<dt>What it may do</dt><dd>Call this MCP server's tools as you: list your Azure subscriptions, resource groups and resources, with your own Azure permissions, until you sign out or the access expires.</dd>` +
    `<dt>MCP server</dt><dd><code>${escapeHtml(view.resource)}</code></dd>` +
    `<dt>Permission asked of Microsoft Entra ID</dt><dd><code>${escapeHtml(view.scope)}</code>, which this server exchanges for Azure Resource Manager access as you</dd>` +
    `</dl>` +
    `<p class="note">Next you sign in with Microsoft Entra ID. Allow only if you started this from ${name} just now; your choice is remembered in this browser for 30 days.</p>` +
    `<form method="post" action="/oauth/consent">` +
    `<input type="hidden" name="transaction" value="${escapeHtml(view.transaction)}">` +
    `<input type="hidden" name="csrf" value="${escapeHtml(view.csrf)}">` +
    `<div class="actions"><button type="submit" name="decision" value="approve">Allow</button>` +
    `<button type="submit" name="decision" value="deny">Deny</button></div>` +
    `</form>`;
  return {
    status: 200,
    headers: pageHeaders(view.formTargets),
    body: document(`Allow ${view.clientName} to use Azure as you?`, main),
  };
}

/** An error that cannot go back to the client (its redirect URI is not trusted, or the flow is broken). */
export function errorPage(status: number, title: string, detail: string): Page {
  const main =
    `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(detail)}</p>` +
    `<p class="note">Nothing was sent to the application. Close this window and start again from your MCP client.</p>`;
  return { status, headers: pageHeaders(), body: document(title, main) };
}
