// `azure-obo-mcp doctor`: checks a server from the outside, the way a spec-following MCP client discovers it
// (MCP authorization: 401 challenge → RFC 9728 protected resource metadata → authorization server), without
// signing in. Each check is one result with a fix; the exit code is 0 only when every check passes.
import {
  discoverOAuthProtectedResourceMetadata,
  extractWWWAuthenticateParams,
} from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthProtectedResourceMetadata } from '@modelcontextprotocol/sdk/shared/auth.js';
import { GUID } from '../src/util/guid.js';
import { isLoopbackUrl } from '../src/util/loopback.js';
import { ExitCode } from './exit-codes.js';
import type { ExitCodeValue } from './exit-codes.js';
import {
  RefusedUrlError,
  ResponseTooLargeError,
  guardedFetch,
  issuerUrlRefusal,
  metadataUrlRefusal,
} from './fetch-guard.js';
import { initializeBody, parseBearerChallenge, resourceKey } from './scope-discovery.js';
import { oneLine } from './terminal-text.js';

/** Stable ids of the checks, in the order they run. */
export type CheckId =
  | 'transport'
  | 'challenge'
  | 'metadata_path'
  | 'metadata_root'
  | 'metadata_challenge'
  | 'resource'
  | 'scopes'
  | 'authorization_server'
  | 'openid_configuration'
  | 'authorization_server_metadata'
  | 'client_registration'
  | 'callback';

/** One check's outcome: `skip` when an earlier failure left nothing to check. */
export interface Check {
  id: CheckId;
  status: 'pass' | 'fail' | 'skip';
  /** What was found, one sentence. */
  summary: string;
  /** What to do about a failure. */
  fix?: string;
  /** Worth knowing, not a failure (e.g. plain http on loopback). */
  notes?: string[];
}

/** The doctor's report: every check, and the exit code it implies. */
export interface DoctorReport {
  ok: boolean;
  server: string;
  checks: Check[];
  exitCode: ExitCodeValue;
}

const TITLES: Record<CheckId, string> = {
  transport: 'transport',
  challenge: '401 challenge',
  metadata_path: 'metadata (path-inserted well-known URL)',
  metadata_root: 'metadata (root well-known URL)',
  metadata_challenge: "metadata (challenge's resource_metadata)",
  resource: 'resource = server URL',
  scopes: 'scopes under resource',
  authorization_server: 'authorization server',
  openid_configuration: 'OpenID configuration',
  authorization_server_metadata: 'authorization server metadata (OAuth proxy)',
  client_registration: 'client registration (CIMD, DCR)',
  callback: 'sign-in callback reachable',
};

/** The clients that send RFC 8707 `resource` with the scope, and so hit AADSTS9010010. */
export const RESOURCE_SENDING_CLIENTS =
  'Claude Code / Claude Desktop, the MCP SDK OAuth client, mcp-remote, MCP Inspector — any client sending the RFC 8707 resource parameter';

const INITIALIZE = initializeBody('azure-obo-mcp-doctor');

/** The problem text of a URL the guard refuses: it names why, and that nothing was fetched. */
const notFetched = (reason: string) => `not fetched: it is ${reason}`;

/** What a guarded fetch's failure says: refused, too large, or which connection failure. */
function fetchProblem(error: unknown, lastFailure: string | undefined): string | undefined {
  if (error instanceof RefusedUrlError) return notFetched(error.reason);
  if (error instanceof ResponseTooLargeError) return 'the answer is larger than 1 MiB; not read';
  if (lastFailure) return lastFailure === 'timed out' ? 'timed out' : `cannot connect (${lastFailure})`;
  return undefined;
}

function wellKnown(server: URL, withPath: boolean): string {
  const path = withPath ? server.pathname.replace(/\/+$/, '') : '';
  return `${server.origin}/.well-known/oauth-protected-resource${path}`;
}

/**
 * Loads protected resource metadata from exactly `url` with the MCP SDK's discovery (schema-checked), only from
 * the server's own origin: any other URL is a problem naming it, never fetched.
 */
async function loadMetadata(
  server: string,
  url: string,
  timeoutMs: number,
): Promise<{ metadata?: OAuthProtectedResourceMetadata; problem?: string }> {
  const refusal = metadataUrlRefusal(url, server);
  if (refusal) return { problem: notFetched(refusal) };
  const f = guardedFetch({ refusal: (u) => metadataUrlRefusal(u, server), timeoutMs });
  try {
    const metadata = await discoverOAuthProtectedResourceMetadata(
      server,
      { resourceMetadataUrl: url },
      f.fetch,
    );
    return { metadata };
  } catch (error) {
    const problem = fetchProblem(error, f.lastFailure());
    if (problem) return { problem };
    if (error instanceof Error && error.name === 'ZodError') {
      const issues = (error as unknown as { issues?: { path: unknown[]; message: string }[] }).issues ?? [];
      const first = issues[0];
      return {
        problem: `not valid protected resource metadata${first ? ` (${first.path.join('.') || 'document'}: ${first.message})` : ''}`,
      };
    }
    if (error instanceof SyntaxError) return { problem: 'the answer is not JSON' };
    return { problem: error instanceof Error ? error.message.replace(/\.$/, '') : String(error) };
  }
}

/** Same document? Key order and whitespace aside. */
function sameJson(a: unknown, b: unknown): boolean {
  const canon = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canon)
      : typeof v === 'object' && v !== null
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canon((v as Record<string, unknown>)[k])]),
          )
        : v;
  return JSON.stringify(canon(a)) === JSON.stringify(canon(b));
}

/** The fields of `a` and `b` that differ. */
function differences(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.filter((k) => !sameJson(a[k], b[k]));
}

/** True when `scope` is `<resource>/<name>` (one path segment, no spaces). */
export function scopeUnderResource(scope: string, resource: string): boolean {
  const base = resource.replace(/\/+$/, '');
  if (scope.length <= base.length + 1 || scope.slice(0, base.length + 1) !== `${base}/`) return false;
  return /^[^\s/]+$/.test(scope.slice(base.length + 1));
}

/** Parses a v2 Entra issuer of a tenant GUID, `https://<host>/<guid>/v2.0`; undefined when it is not one. */
export function entraV2Issuer(value: string): { host: string; tenantId: string } | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  const parts = url.pathname.split('/').filter(Boolean);
  if (url.protocol !== 'https:') return undefined;
  if (url.search || url.hash || parts.length !== 2 || parts[1] !== 'v2.0') return undefined;
  if (!GUID.test(parts[0] ?? '')) return undefined;
  if (!/\/v2\.0$/.test(url.pathname)) return undefined;
  return { host: url.origin, tenantId: parts[0]! };
}

/** What doctor needs besides the server: the time budget of each request, and the Entra authority host. */
export interface DoctorOptions {
  timeoutMs: number;
  /** The only host whose issuer metadata doctor fetches (ENTRA_AUTHORITY_HOST / --authority-host). */
  authorityHost: string;
}

/** Runs every check against `server`; never throws. */
export async function runDoctor(server: string, opts: DoctorOptions): Promise<DoctorReport> {
  const checks: Check[] = [];
  const add = (check: Check) => checks.push(check);
  const skip = (id: CheckId, why: string) => add({ id, status: 'skip', summary: `not checked: ${why}` });
  const url = new URL(server);

  // Transport: a token must never travel in clear text to another machine.
  if (url.protocol === 'https:') add({ id: 'transport', status: 'pass', summary: `https (${url.host})` });
  else if (isLoopbackUrl(url))
    add({
      id: 'transport',
      status: 'pass',
      summary: `plain http on loopback (${url.host})`,
      notes: [
        'plain http is fine for local testing only; a deployed server must be https (Entra accepts http identifier URIs only for localhost).',
      ],
    });
  else
    add({
      id: 'transport',
      status: 'fail',
      summary: `plain http to another machine (${url.host}): bearer tokens would travel unencrypted`,
      fix: 'Serve the MCP endpoint over https (Azure Functions does by default) and use the https:// URL.',
    });

  // (a) Unauthenticated POST → 401 Bearer challenge with resource_metadata and scope. The server itself: the
  // user named it (and the transport check reports plain http).
  const post = guardedFetch({ refusal: () => undefined, timeoutMs: opts.timeoutMs });
  let res: Response | undefined;
  try {
    res = await post.fetch(server, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
      body: INITIALIZE,
    });
    await res.body?.cancel().catch(() => undefined);
  } catch {
    const failure = post.lastFailure() ?? 'no answer';
    add({
      id: 'challenge',
      status: 'fail',
      summary: `cannot reach ${server} (${failure})`,
      fix: 'Is the server running (npm run serve, or func start)? Check --server, or raise --timeout.',
    });
    for (const id of [
      'metadata_path',
      'metadata_root',
      'resource',
      'scopes',
      'authorization_server',
      'openid_configuration',
    ] as const)
      skip(id, 'the server cannot be reached');
    return { ok: false, server, checks, exitCode: ExitCode.serverUnreachable };
  }
  const www = res.headers.get('www-authenticate');
  const bearer = parseBearerChallenge(www);
  const sdk = extractWWWAuthenticateParams(res);
  const challengeScope = sdk.scope ?? bearer?.scope;
  const challengeMetadataUrl = sdk.resourceMetadataUrl?.href;
  const challengeProblems: string[] = [];
  if (res.status !== 401) challengeProblems.push(`answered HTTP ${res.status}, not 401`);
  if (!bearer)
    challengeProblems.push(www ? 'WWW-Authenticate is not a Bearer challenge' : 'no WWW-Authenticate header');
  else {
    if (!bearer.resourceMetadata) challengeProblems.push('no resource_metadata parameter');
    else if (!challengeMetadataUrl)
      challengeProblems.push(`resource_metadata ${JSON.stringify(bearer.resourceMetadata)} is not a URL`);
    if (!challengeScope) challengeProblems.push('no scope parameter');
  }
  if (challengeProblems.length === 0)
    add({
      id: 'challenge',
      status: 'pass',
      summary: `401 Bearer resource_metadata="${challengeMetadataUrl}" scope="${challengeScope}"`,
    });
  else
    add({
      id: 'challenge',
      status: 'fail',
      summary: `unauthenticated POST: ${challengeProblems.join('; ')}`,
      fix: `Answer requests without a token with 401 and WWW-Authenticate: Bearer resource_metadata="${wellKnown(url, true)}", scope="<scope>" (MCP authorization, RFC 9728 §5.1); check that --server is the MCP endpoint (…/mcp).`,
    });

  // (b) The metadata at the path-inserted and root well-known URLs: both load and agree.
  const pathUrl = wellKnown(url, true);
  const rootUrl = wellKnown(url, false);
  const byPath = await loadMetadata(server, pathUrl, opts.timeoutMs);
  add(
    byPath.metadata
      ? { id: 'metadata_path', status: 'pass', summary: `${pathUrl} loads` }
      : {
          id: 'metadata_path',
          status: 'fail',
          summary: `${pathUrl}: ${byPath.problem}`,
          fix: 'Serve the protected resource metadata (RFC 9728 §3.1) at the well-known URL with the resource path inserted; MCP clients look there first.',
        },
  );
  let byRoot: Awaited<ReturnType<typeof loadMetadata>> = {};
  if (pathUrl === rootUrl) {
    skip('metadata_root', 'the server URL has no path; the root URL is the path-inserted one');
  } else {
    byRoot = await loadMetadata(server, rootUrl, opts.timeoutMs);
    if (!byRoot.metadata)
      add({
        id: 'metadata_root',
        status: 'fail',
        summary: `${rootUrl}: ${byRoot.problem}`,
        fix: 'Serve the same metadata at the root well-known URL too: older MCP clients only look there.',
      });
    else if (byPath.metadata && !sameJson(byPath.metadata, byRoot.metadata))
      add({
        id: 'metadata_root',
        status: 'fail',
        summary: `${rootUrl} loads but differs from ${pathUrl} in ${differences(byPath.metadata, byRoot.metadata).join(', ')}`,
        fix: 'Serve one document at both URLs: clients that look at different URLs must get the same resource, scopes and authorization servers.',
      });
    else add({ id: 'metadata_root', status: 'pass', summary: `${rootUrl} loads and agrees` });
  }
  let metadata = byPath.metadata ?? byRoot.metadata;
  let metadataSource = byPath.metadata ? pathUrl : rootUrl;
  if (challengeMetadataUrl && challengeMetadataUrl !== pathUrl && challengeMetadataUrl !== rootUrl) {
    // Clients follow the challenge first: that document is the one that counts.
    const byChallenge = await loadMetadata(server, challengeMetadataUrl, opts.timeoutMs);
    if (!byChallenge.metadata)
      add({
        id: 'metadata_challenge',
        status: 'fail',
        summary: `${challengeMetadataUrl}: ${byChallenge.problem}`,
        fix: `Point the challenge's resource_metadata at the served metadata document (the path-inserted well-known URL, ${pathUrl}). Doctor fetches metadata only from the server's own origin (https; plain http only on loopback): a server naming another host could aim the machine running a client at anything (cloud instance metadata, the intranet).`,
      });
    else {
      metadata = byChallenge.metadata;
      metadataSource = challengeMetadataUrl;
      if (byPath.metadata && !sameJson(byPath.metadata, byChallenge.metadata))
        add({
          id: 'metadata_challenge',
          status: 'fail',
          summary: `${challengeMetadataUrl} differs from ${pathUrl} in ${differences(byPath.metadata, byChallenge.metadata).join(', ')}`,
          fix: 'Serve one metadata document; the challenge should name the path-inserted well-known URL.',
        });
      else add({ id: 'metadata_challenge', status: 'pass', summary: `${challengeMetadataUrl} loads` });
    }
  }

  if (!metadata) {
    for (const id of ['resource', 'scopes', 'authorization_server', 'openid_configuration'] as const)
      skip(id, 'no protected resource metadata');
    return finish(server, checks);
  }

  // (c) resource equals the server URL (RFC 9728 §3.3: clients must reject anything else).
  const resource = metadata.resource;
  const resourceOk = resourceKey(resource) === resourceKey(server);
  add(
    resourceOk
      ? { id: 'resource', status: 'pass', summary: `resource ${resource}` }
      : {
          id: 'resource',
          status: 'fail',
          summary: `resource ${JSON.stringify(resource)} in ${metadataSource} is not ${server}`,
          fix: 'Set MCP_PUBLIC_URL to the URL clients use (the resource must be that exact URL, RFC 9728 §3.3); clients discard metadata whose resource differs.',
        },
  );

  // The server as its own authorization server (MCP_OAUTH_PROXY=on): it, not Entra, takes scope + resource.
  const servers = metadata.authorization_servers ?? [];
  const proxied = servers.length > 0 && servers.every((s) => s === url.origin);

  // (d) Every scope lives under resource, or Entra refuses scope + RFC 8707 resource (AADSTS9010010).
  const scopes = [...(metadata.scopes_supported ?? [])];
  if (challengeScope)
    for (const s of challengeScope.split(/\s+/)) if (s && !scopes.includes(s)) scopes.push(s);
  const outside = scopes.filter((s) => !scopeUnderResource(s, resource));
  if (scopes.length === 0)
    add({
      id: 'scopes',
      status: 'fail',
      summary: 'no scopes_supported in the metadata and no scope in the challenge',
      fix: `List the API's scope in scopes_supported (e.g. ${resource.replace(/\/+$/, '')}/execute) so clients know what to request.`,
    });
  else if (outside.length === 0)
    add({ id: 'scopes', status: 'pass', summary: `${scopes.join(', ')} under ${resource}` });
  else if (proxied)
    add({
      id: 'scopes',
      status: 'pass',
      summary: `${scopes.join(', ')}: the server is its own authorization server, which takes this scope with resource=${resource}`,
    });
  else
    add({
      id: 'scopes',
      status: 'fail',
      summary: `${outside.join(', ')} ${outside.length === 1 ? 'is' : 'are'} not under resource ${resource}: Entra refuses that scope with resource=${resource} (AADSTS9010010: the resource parameter doesn't match the requested scopes), which breaks ${RESOURCE_SENDING_CLIENTS}`,
      fix: `Set the app registration's Application ID URI to the MCP URL (${resource}, https on a verified domain), expose the scope under it, and set ENTRA_APP_ID_URI = MCP_PUBLIC_URL = ${resource}.`,
    });

  if (proxied) {
    add({
      id: 'authorization_server',
      status: 'pass',
      summary: `${url.origin}: the server itself (OAuth proxy in front of Entra ID)`,
    });
    skip('openid_configuration', 'the server is its own authorization server');
    await checkProxy(url, opts, add);
    return finish(server, checks);
  }

  // (e) authorization_servers: a v2 Entra issuer of a tenant GUID whose OpenID metadata matches.
  const issuers = servers.map((s) => ({ value: s, parsed: entraV2Issuer(s) }));
  const bad = issuers.filter((i) => !i.parsed);
  if (servers.length === 0 || bad.length > 0) {
    add({
      id: 'authorization_server',
      status: 'fail',
      summary:
        servers.length === 0
          ? 'no authorization_servers in the metadata'
          : `${bad.map((b) => b.value).join(', ')} ${bad.length === 1 ? 'is' : 'are'} not a v2 Entra issuer of a tenant GUID (https://<host>/<tenant-guid>/v2.0)`,
      fix: 'List the tenant\'s v2 issuer, e.g. https://login.microsoftonline.com/<tenant-guid>/v2.0 (set ENTRA_TENANT_ID to the tenant GUID; "common"/"organizations" have no fixed issuer).',
    });
    skip('openid_configuration', 'no v2 Entra issuer to check');
    return finish(server, checks);
  }
  add({
    id: 'authorization_server',
    status: 'pass',
    summary: `${servers.join(', ')} (tenant ${issuers.map((i) => i.parsed!.tenantId).join(', ')})`,
  });

  const problems: string[] = [];
  let refused = false;
  for (const issuer of servers) {
    const configUrl = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    const refusal = issuerUrlRefusal(configUrl, opts.authorityHost);
    if (refusal) {
      refused = true;
      problems.push(`${configUrl}: ${notFetched(refusal)}`);
      continue;
    }
    const f = guardedFetch({
      refusal: (u) => issuerUrlRefusal(u, opts.authorityHost),
      timeoutMs: opts.timeoutMs,
    });
    try {
      const r = await f.fetch(configUrl, { headers: { Accept: 'application/json' } });
      if (!r.ok) {
        await r.body?.cancel().catch(() => undefined);
        problems.push(`${configUrl} answered HTTP ${r.status}`);
        continue;
      }
      const doc: unknown = await r.json().catch((error: unknown) => {
        if (error instanceof ResponseTooLargeError) throw error;
        return undefined;
      });
      const got =
        typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>).issuer : undefined;
      if (got !== issuer)
        problems.push(`${configUrl} names issuer ${JSON.stringify(got ?? null)}, not ${issuer}`);
    } catch (error) {
      problems.push(`${configUrl}: ${fetchProblem(error, f.lastFailure()) ?? 'no answer'}`);
    }
  }
  add(
    problems.length === 0
      ? {
          id: 'openid_configuration',
          status: 'pass',
          summary: `issuer matches at ${servers.map((s) => `${s}/.well-known/openid-configuration`).join(', ')}`,
        }
      : {
          id: 'openid_configuration',
          status: 'fail',
          summary: problems.join('; '),
          fix: refused
            ? `Doctor fetches issuer metadata only from the configured authority host (${new URL(opts.authorityHost).origin}): list that host's issuer in authorization_servers, or, if the server is right, pass --authority-host (or set ENTRA_AUTHORITY_HOST) to its host.`
            : 'authorization_servers must name the exact issuer of the tenant (as its openid-configuration says): check ENTRA_TENANT_ID and ENTRA_AUTHORITY_HOST.',
        },
  );
  return finish(server, checks);
}

/** A JSON document from the server's own origin (guarded like the metadata), or the problem. */
async function serverJson(
  url: string,
  server: URL,
  timeoutMs: number,
): Promise<{ doc?: Record<string, unknown>; problem?: string }> {
  const refusal = metadataUrlRefusal(url, server.toString());
  if (refusal) return { problem: notFetched(refusal) };
  const f = guardedFetch({ refusal: (u) => metadataUrlRefusal(u, server.toString()), timeoutMs });
  try {
    const r = await f.fetch(url, { headers: { Accept: 'application/json' } });
    if (!r.ok) {
      await r.body?.cancel().catch(() => undefined);
      return { problem: `answered HTTP ${r.status}` };
    }
    const doc: unknown = await r.json().catch((error: unknown) => {
      if (error instanceof ResponseTooLargeError) throw error;
      return undefined;
    });
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
      return { problem: 'the answer is not a JSON object' };
    return { doc: doc as Record<string, unknown> };
  } catch (error) {
    return { problem: fetchProblem(error, f.lastFailure()) ?? 'no answer' };
  }
}

const includes = (value: unknown, item: string) => Array.isArray(value) && value.includes(item);

/**
 * The server as an authorization server (MCP_OAUTH_PROXY=on): its RFC 8414 metadata as MCP clients need it (the
 * issuer exactly the PRM's entry, endpoints on its origin, code + PKCE S256, public clients), a way to register
 * (CIMD, DCR), and the callback Entra ID sends sign-ins back to.
 */
async function checkProxy(server: URL, opts: DoctorOptions, add: (check: Check) => void): Promise<void> {
  const metadataUrl = `${server.origin}/.well-known/oauth-authorization-server`;
  const { doc, problem } = await serverJson(metadataUrl, server, opts.timeoutMs);
  if (!doc) {
    add({
      id: 'authorization_server_metadata',
      status: 'fail',
      summary: `${metadataUrl}: ${problem}`,
      fix: 'A server naming itself as authorization server must serve RFC 8414 metadata there (MCP_OAUTH_PROXY=on with its key set).',
    });
    add({
      id: 'client_registration',
      status: 'skip',
      summary: 'not checked: no authorization server metadata',
    });
    add({ id: 'callback', status: 'skip', summary: 'not checked: no authorization server metadata' });
    return;
  }
  const problems: string[] = [];
  if (doc.issuer !== server.origin)
    problems.push(`issuer ${JSON.stringify(doc.issuer ?? null)} is not ${server.origin}`);
  for (const name of ['authorization_endpoint', 'token_endpoint'] as const) {
    const value = doc[name];
    if (typeof value !== 'string' || !URL.canParse(value) || new URL(value).origin !== server.origin)
      problems.push(`${name} ${JSON.stringify(value ?? null)} is not on ${server.origin}`);
  }
  if (!includes(doc.response_types_supported, 'code')) problems.push('response_types_supported lacks code');
  if (!includes(doc.code_challenge_methods_supported, 'S256'))
    problems.push('code_challenge_methods_supported lacks S256 (clients must refuse to proceed)');
  if (!includes(doc.token_endpoint_auth_methods_supported, 'none'))
    problems.push(
      "token_endpoint_auth_methods_supported lacks none (public clients, and Claude's CIMD, need it)",
    );
  if (doc.authorization_response_iss_parameter_supported !== true)
    problems.push('authorization_response_iss_parameter_supported is not true');
  add(
    problems.length === 0
      ? {
          id: 'authorization_server_metadata',
          status: 'pass',
          summary: `${metadataUrl}: issuer ${server.origin}, code + S256, public clients, iss`,
        }
      : {
          id: 'authorization_server_metadata',
          status: 'fail',
          summary: `${metadataUrl}: ${problems.join('; ')}`,
          fix: "Serve the metadata with issuer = the MCP URL's origin (MCP_PUBLIC_URL) and its endpoints on that origin; clients compare the issuer with the protected resource metadata exactly.",
        },
  );

  const ways: string[] = [];
  if (doc.client_id_metadata_document_supported === true) ways.push('client metadata documents (CIMD)');
  const registration = doc.registration_endpoint;
  if (
    typeof registration === 'string' &&
    URL.canParse(registration) &&
    new URL(registration).origin === server.origin
  )
    ways.push(`dynamic registration at ${registration}`);
  add(
    ways.length > 0
      ? { id: 'client_registration', status: 'pass', summary: ways.join(' and ') }
      : {
          id: 'client_registration',
          status: 'fail',
          summary: 'neither client_id_metadata_document_supported nor a registration_endpoint on the server',
          fix: 'Clients without a pre-registered client id (Claude.ai, ChatGPT, Claude Code, mcp-remote) need CIMD or DCR.',
        },
  );

  // Entra ID sends every sign-in back to <origin>/oauth/callback; without parameters it answers an error page.
  const callbackUrl = `${server.origin}/oauth/callback`;
  const f = guardedFetch({
    refusal: (u) => metadataUrlRefusal(u, server.toString()),
    timeoutMs: opts.timeoutMs,
  });
  try {
    const r = await f.fetch(callbackUrl, { headers: { Accept: 'text/html' } });
    await r.body?.cancel().catch(() => undefined);
    add(
      r.status === 404 || r.status >= 500
        ? {
            id: 'callback',
            status: 'fail',
            summary: `${callbackUrl} answered HTTP ${r.status}`,
            fix: "Deploy with MCP_OAUTH_PROXY=on and its key, and register the URL as the API app's Web redirect URI (infra does both).",
          }
        : {
            id: 'callback',
            status: 'pass',
            summary: `${callbackUrl} answers (HTTP ${r.status} without a sign-in)`,
          },
    );
  } catch (error) {
    add({
      id: 'callback',
      status: 'fail',
      summary: `${callbackUrl}: ${fetchProblem(error, f.lastFailure()) ?? 'no answer'}`,
      fix: 'Entra ID sends sign-ins back there: it must be reachable.',
    });
  }
}

function finish(server: string, checks: Check[]): DoctorReport {
  const ok = checks.every((c) => c.status !== 'fail');
  return { ok, server, checks, exitCode: ok ? ExitCode.ok : ExitCode.doctor };
}

/** The report for a terminal: one ✓/✗ line per check, its fix and notes indented below it. */
export function doctorLines(report: DoctorReport): string[] {
  const lines = [`Checking ${report.server} as an MCP client sees it`];
  for (const c of report.checks) {
    const mark = c.status === 'pass' ? '✓' : c.status === 'fail' ? '✗' : '-';
    // Summaries quote what the server sent: one line each, without control characters.
    lines.push(`${mark} ${TITLES[c.id]}: ${oneLine(c.summary)}`);
    if (c.fix && c.status === 'fail') lines.push(`  Fix: ${oneLine(c.fix)}`);
    for (const n of c.notes ?? []) lines.push(`  Note: ${oneLine(n)}`);
  }
  const failed = report.checks.filter((c) => c.status === 'fail').length;
  lines.push(
    report.ok
      ? '✓ All checks passed.'
      : `✗ ${failed} check${failed === 1 ? '' : 's'} failed (exit ${report.exitCode}).`,
  );
  return lines;
}
