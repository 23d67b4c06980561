import { parseArgs } from 'node:util';
import { GUID } from '../src/util/guid.js';
import { isLoopbackUrl } from '../src/util/loopback.js';
import { ClientError, EXIT_CODE_HELP } from './exit-codes.js';

/** Default MCP endpoint: the dev host of `npm run serve` (or `func start`). */
export const DEFAULT_SERVER = 'http://localhost:7071/mcp';
/** Default Entra ID authority host (public cloud). */
export const DEFAULT_AUTHORITY_HOST = 'https://login.microsoftonline.com';

/** What the CLI was asked to do. */
export type Command = 'run' | 'call' | 'logout' | 'doctor' | 'help';

/** How the CLI signs in when the cache cannot serve a token. */
export type AuthMode = 'device' | 'browser';

/** The parsed command line, merged with ENTRA_* environment variables. */
export interface CliOptions {
  command: Command;
  server: string;
  /** The public client app the CLI signs in with (--client-id, ENTRA_CLI_CLIENT_ID, else ENTRA_CLIENT_ID). */
  clientId: string | undefined;
  /** The API's app id, for the fallback scope api://<id>/execute (ENTRA_CLIENT_ID, else the CLI's app). */
  apiClientId: string | undefined;
  /** Device code (default) or interactive browser sign-in (authorization code + PKCE on a loopback redirect). */
  auth: AuthMode;
  tenantId: string | undefined;
  authorityHost: string;
  /** Scope to request instead of discovering it from the server. */
  scope: string | undefined;
  /**
   * MCP server URLs the user tied to the API `apiClientId` (ENTRA_API_SERVER_URLS): only they get a token for
   * one of its api:// scopes (or the default scope) without --scope.
   */
  apiServerUrls: string[];
  /** Token cache file; undefined = the default location. */
  cache: string | undefined;
  clearCache: boolean;
  yes: boolean;
  json: boolean;
  showToken: boolean;
  verbose: boolean;
  /** Tool to call (`call <tool>` or `--tool`). */
  tool: string | undefined;
  /** Arguments of the tool call, a JSON object. */
  toolArgs: Record<string, unknown>;
  /** Time budget of each MCP request, in milliseconds. */
  timeoutMs: number;
  /** Allow a plain http:// server that is not on this machine (the token travels unencrypted). */
  insecure: boolean;
}

/** Longest --timeout: setTimeout's limit, 2^31-1 ms (about 24.8 days). */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** A tool of the server, as --help describes it (tests/cli/args.test.ts checks it against the server's own list). */
export interface ToolHelp {
  name: string;
  summary: string;
  args: { name: string; required: boolean; example: string }[];
}

/** The server's tools and their arguments. */
export const TOOLS: readonly ToolHelp[] = [
  { name: 'get_user_info', summary: 'the signed-in user, from the token (no arguments)', args: [] },
  { name: 'get_subscriptions', summary: 'your Azure subscriptions, all pages (no arguments)', args: [] },
  {
    name: 'list_resource_groups',
    summary: 'the resource groups of a subscription',
    args: [{ name: 'subscriptionId', required: true, example: '<subscription guid>' }],
  },
  {
    name: 'list_resources',
    summary: 'the resources of a subscription, or of one of its resource groups',
    args: [
      { name: 'subscriptionId', required: true, example: '<subscription guid>' },
      { name: 'resourceGroup', required: false, example: '<resource group name>' },
    ],
  },
];

function toolsHelp(): string {
  return TOOLS.flatMap(({ name, summary, args }) => {
    const lines = [`  ${name.padEnd(22)}${summary}`];
    if (args.length > 0) {
      const json = JSON.stringify(Object.fromEntries(args.map((a) => [a.name, a.example])));
      const optional = args.filter((a) => !a.required).map((a) => a.name);
      lines.push(
        `  ${''.padEnd(22)}'${json}'${optional.length > 0 ? ` (optional: ${optional.join(', ')})` : ''}`,
      );
    }
    return lines;
  }).join('\n');
}

/** `azure-obo-mcp --help`. */
export const USAGE = `Usage: azure-obo-mcp [run] [options]
       azure-obo-mcp call <tool> ['<json arguments>'] [options]
       azure-obo-mcp logout [--cache <file>]
       azure-obo-mcp doctor --server <url> [--json] [--timeout <seconds>] [--authority-host <url>]

Signs in to Entra ID (device code or browser, then silently from the token cache), connects
to the azure-obo-mcp server with the token, and calls get_user_info and get_subscriptions
(or the tool given with "call").

"doctor" checks a server from the outside, as an MCP client sees it, without signing in: the
401 challenge, the protected resource metadata (path-inserted and root well-known URLs),
resource = server URL, scopes under resource (else AADSTS9010010 in spec-following clients),
and the Entra v2 issuer of a tenant GUID with its OpenID metadata. It fetches metadata only from
the server's own origin and issuer metadata only from --authority-host; any other URL the server
names is a failed check, never fetched. Exit 0 only when all pass.

Options:
  --server <url>          MCP endpoint (default ${DEFAULT_SERVER})
  --client-id <guid>      public client app the CLI signs in with
                          [env ENTRA_CLI_CLIENT_ID, else ENTRA_CLIENT_ID]
  --auth device|browser   sign-in when the cache cannot serve a token: device code (default),
                          or the browser (authorization code + PKCE, loopback redirect)
  --tenant-id <id>        tenant id or domain                    [env ENTRA_TENANT_ID]
  --authority-host <url>  Entra ID authority host                [env ENTRA_AUTHORITY_HOST]
                          (default ${DEFAULT_AUTHORITY_HOST})
  --scope <scope>         scope to request (default: discovered from the server's
                          protected resource metadata, else api://<ENTRA_CLIENT_ID>/execute);
                          also ties --server to that scope's API for this run (see below)
  --cache <file>          token cache file (default $XDG_CACHE_HOME/azure-obo-mcp/token-cache.json)
  --clear-cache           delete the token cache first (forces a new sign-in)
  --tool <name>           call this tool instead of the default flow (same as "call <name>")
  --args <json>           arguments of --tool, a JSON object
  -y, --yes               do not ask before sending the token to the MCP server
  --json                  print one JSON document on stdout (progress is not printed)
  --show-token            print the full access token (default: a redacted prefix)
  --timeout <seconds>     time budget of each MCP request, and of each doctor request
                          (default 30; 0.001 to 2147483)
  --insecure              allow an http:// --server that is not localhost / 127.0.0.1 / [::1]
                          (the token is sent unencrypted)
  -v, --verbose           print stack traces and MSAL diagnostics on stderr
  -h, --help              show this help

Tools (azure-obo-mcp call <tool> '<json arguments>', or --tool <name> --args '<json>'):
${toolsHelp()}
  e.g. azure-obo-mcp call list_resources '{"subscriptionId":"<guid>","resourceGroup":"rg-web"}'

A token for an api:// scope (or the default scope) is sent only to a server tied to that API:
listed in ENTRA_API_SERVER_URLS (comma-separated MCP URLs of the ENTRA_CLIENT_ID API), or given
an explicit --scope. A look-alike server advertising the API's scope would otherwise get a token
it can replay against the real server. Servers whose scope lives under their own URL
(<server URL>/execute, Application ID URI = MCP URL) need neither.

Exit codes:
${EXIT_CODE_HELP.join('\n')}
`;

function usageError(message: string): ClientError {
  return new ClientError('usage', message, { fix: 'Run azure-obo-mcp --help for usage.' });
}

function parseToolArgs(raw: string | undefined): Record<string, unknown> {
  if (raw === undefined || raw.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw usageError(`Tool arguments are not valid JSON: ${raw.length > 80 ? `${raw.slice(0, 80)}…` : raw}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw usageError('Tool arguments must be a JSON object, e.g. \'{"subscriptionId":"..."}\'.');
  }
  return value as Record<string, unknown>;
}

function httpUrl(name: string, value: string, protocols: string[]): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw usageError(`${name} is not a valid URL: ${value}`);
  }
  if (!protocols.includes(url.protocol))
    throw usageError(`${name} must be a ${protocols.join(' or ')}// URL: ${value}`);
  return value.replace(/\/+$/, '');
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** The first application (client) id given, and where from; a value that is no GUID is a usage error naming its source. */
function clientIdFrom(
  check: boolean,
  sources: [string, string | undefined][],
): [string | undefined, string | undefined] {
  for (const [source, raw] of sources) {
    const value = nonEmpty(raw);
    if (value === undefined) continue;
    if (check && !GUID.test(value))
      throw usageError(
        `${source} must be an application (client) id, a GUID such as 3f2e1d0c-9b8a-4765-8432-10fedcba9876: ${value.length > 60 ? `${value.slice(0, 60)}…` : value}`,
      );
    return [value, source];
  }
  return [undefined, undefined];
}

/** Parses argv (without node and script) and the environment into options; throws a usage ClientError. */
export function parseCliArgs(
  argv: string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        server: { type: 'string' },
        'client-id': { type: 'string' },
        auth: { type: 'string' },
        'tenant-id': { type: 'string' },
        'authority-host': { type: 'string' },
        scope: { type: 'string' },
        cache: { type: 'string' },
        'clear-cache': { type: 'boolean', default: false },
        tool: { type: 'string' },
        args: { type: 'string' },
        yes: { type: 'boolean', short: 'y', default: false },
        json: { type: 'boolean', default: false },
        'show-token': { type: 'boolean', default: false },
        timeout: { type: 'string' },
        insecure: { type: 'boolean', default: false },
        verbose: { type: 'boolean', short: 'v', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    // Node's own text goes on about positionals after '--' and leaves a quote open.
    const option = /^Unknown option '([^']*)'/.exec(error instanceof Error ? error.message : '')?.[1];
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option !== undefined)
      throw usageError(`Unknown option '${option}'.`);
    throw usageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  const [first, ...rest] = positionals;

  let command: Command = 'run';
  let tool = nonEmpty(values.tool);
  let rawArgs = values.args;
  switch (first) {
    case undefined:
    case 'run':
      if (rest.length > 0) throw usageError(`Unexpected argument: ${rest[0]}`);
      break;
    case 'call': {
      const [name, json, ...extra] = rest;
      if (!name && !tool)
        throw usageError('call needs a tool name, e.g. azure-obo-mcp call get_subscriptions');
      if (extra.length > 0) throw usageError(`Unexpected argument: ${extra[0]}`);
      if (name) tool = name;
      if (json !== undefined) rawArgs = json;
      break;
    }
    case 'logout':
      if (rest.length > 0) throw usageError(`Unexpected argument: ${rest[0]}`);
      command = 'logout';
      break;
    case 'doctor':
      if (rest.length > 0) throw usageError(`Unexpected argument: ${rest[0]}`);
      command = 'doctor';
      break;
    case 'help':
      command = 'help';
      break;
    default:
      throw usageError(`Unknown command: ${first} (commands: run, call, logout, doctor, help)`);
  }
  if (values.help) command = 'help';
  if (command === 'run' && tool) command = 'call';
  if (rawArgs !== undefined && command !== 'call')
    throw usageError('--args needs a tool (call <tool> or --tool <name>).');

  let timeoutMs = 30_000;
  if (values.timeout !== undefined) {
    const seconds = values.timeout.trim() === '' ? NaN : Number(values.timeout);
    timeoutMs = Math.round(seconds * 1000);
    if (!Number.isFinite(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_TIMEOUT_MS)
      throw usageError(
        `--timeout must be a number of seconds from 0.001 to ${Math.floor(MAX_TIMEOUT_MS / 1000)}: ${values.timeout}`,
      );
  }

  const authRaw = nonEmpty(values.auth) ?? 'device';
  if (authRaw !== 'device' && authRaw !== 'browser')
    throw usageError(`--auth must be device or browser: ${authRaw}`);

  const authorityFromUser = nonEmpty(values['authority-host']) ?? nonEmpty(env.ENTRA_AUTHORITY_HOST);
  const rawServer = nonEmpty(values.server) ?? DEFAULT_SERVER;
  const server =
    command === 'help' || command === 'logout'
      ? rawServer
      : httpUrl('--server', rawServer, ['http:', 'https:']);
  // doctor sends no token: it reports plain http as a finding instead.
  if (
    command !== 'help' &&
    command !== 'logout' &&
    command !== 'doctor' &&
    !values.insecure &&
    new URL(server).protocol === 'http:' &&
    !isLoopbackUrl(server)
  )
    throw new ClientError(
      'usage',
      `--server ${server} is plain http on another machine: the access token would travel unencrypted.`,
      {
        fix: 'Use an https:// URL (plain http is allowed only for localhost, 127.0.0.1 and [::1]), or pass --insecure if you accept the risk.',
      },
    );
  // Only the commands that sign in use them (and check them).
  const signsIn = command === 'run' || command === 'call';
  const [cliClientId] = clientIdFrom(signsIn, [
    ['--client-id', values['client-id']],
    ['ENTRA_CLI_CLIENT_ID', env.ENTRA_CLI_CLIENT_ID],
    ['ENTRA_CLIENT_ID', env.ENTRA_CLIENT_ID],
  ]);
  const [apiClientId] = clientIdFrom(signsIn, [['ENTRA_CLIENT_ID', env.ENTRA_CLIENT_ID]]);
  const apiServerUrls = (signsIn ? (env.ENTRA_API_SERVER_URLS ?? '') : '')
    .split(',')
    .map((url) => url.trim())
    .filter(Boolean)
    .map((url) => httpUrl('ENTRA_API_SERVER_URLS', url, ['http:', 'https:']));
  return {
    command,
    server,
    clientId: cliClientId,
    apiClientId: apiClientId ?? cliClientId,
    auth: authRaw,
    tenantId: nonEmpty(values['tenant-id']) ?? nonEmpty(env.ENTRA_TENANT_ID),
    authorityHost: authorityFromUser
      ? httpUrl('--authority-host', authorityFromUser, ['https:'])
      : DEFAULT_AUTHORITY_HOST,
    scope: nonEmpty(values.scope),
    apiServerUrls,
    cache: nonEmpty(values.cache),
    clearCache: values['clear-cache'],
    yes: values.yes,
    json: values.json,
    showToken: values['show-token'],
    verbose: values.verbose,
    tool,
    toolArgs: command === 'call' ? parseToolArgs(rawArgs) : {},
    timeoutMs,
    insecure: values.insecure,
  };
}
