// Which server may receive a token for which scope. A token for an api:// scope is good at every server of that
// API: a look-alike server that advertises the API's scope (or none, so the default applies) would get the
// user's token and could replay it against the real server. Only the user can say which servers are the API's.
import type { CliOptions } from './args.js';
import { ClientError } from './exit-codes.js';
import { resourceKey } from './scope-discovery.js';
import type { ScopeDiscovery } from './scope-discovery.js';

/**
 * What ties the server to the scope: the scope lives under the server's own URL (Entra issues tokens for it only
 * because the server's URL is its Application ID URI), the user named the scope (--scope), or the user listed
 * the server in ENTRA_API_SERVER_URLS.
 */
export type ServerTie = 'own_url' | 'flag' | 'setting';

/** How `server` is tied to the discovered scope; undefined when nothing ties them. */
export function serverTie(
  discovery: Pick<ScopeDiscovery, 'scope' | 'source'>,
  server: string,
  apiServerUrls: readonly string[],
): ServerTie | undefined {
  if (discovery.source === 'flag') return 'flag';
  const key = resourceKey(server);
  if (key === undefined) return undefined;
  // Discovery takes a scope under a URL only when that URL is the server's own (acceptableScope).
  if (discovery.source !== 'fallback' && discovery.scope.startsWith(`${key}/`)) return 'own_url';
  return apiServerUrls.some((url) => resourceKey(url) === key) ? 'setting' : undefined;
}

/** The refusal when nothing ties the server to the scope: the risk, and the two ways to say it is fine. */
export function untiedServerError(
  discovery: Pick<ScopeDiscovery, 'scope' | 'source'>,
  opts: Pick<CliOptions, 'server' | 'apiClientId'>,
): ClientError {
  const what =
    discovery.source === 'fallback'
      ? `the default scope ${discovery.scope}`
      : `${discovery.scope} (from the server)`;
  return new ClientError(
    'usage',
    `Not signing in for ${what} to send the token to ${opts.server}: nothing ties that server to the API app ${opts.apiClientId ?? '(none)'}. A token for that scope is accepted by every server of the API, so a look-alike server could replay it against the real one.`,
    {
      fix: `If ${opts.server} is a server of that API, say so: add it to ENTRA_API_SERVER_URLS (comma-separated MCP URLs), or pass --scope ${discovery.scope}. A server whose Application ID URI is its own MCP URL (scope ${resourceKey(opts.server) ?? opts.server}/execute) needs neither.`,
      details: { scope: discovery.scope, scopeSource: discovery.source, server: opts.server },
    },
  );
}
