#!/usr/bin/env node
// azure-obo-mcp: the command-line client of the azure-obo-mcp server (the TypeScript obo_client.py).
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { USAGE, parseCliArgs } from './args.js';
import type { CliOptions } from './args.js';
import { defaultCachePath, removeCache } from './cache-plugin.js';
import { doctorLines, runDoctor } from './doctor.js';
import { ClientError, ExitCode } from './exit-codes.js';
import { McpSession, isNotAnEndpoint, notAnMcpEndpoint } from './mcp-session.js';
import type { RenewToken, ToolResult } from './mcp-session.js';
import {
  errorDocument,
  errorLines,
  subscriptionLines,
  subscriptionsOf,
  tokenLine,
  toolResultLines,
  toolsLine,
  userLines,
  redactToken,
} from './output.js';
import { confirm } from './prompt.js';
import { discoverScope, unreachableServer } from './scope-discovery.js';
import type { ScopeDiscovery } from './scope-discovery.js';
import { serverTie, untiedServerError } from './server-tie.js';
import { signIn } from './sign-in.js';
import type { SignInResult } from './sign-in.js';
import { toolErrorFix } from './tool-errors.js';
import { oneLine, printable, terminalJson } from './terminal-text.js';

/**
 * Where the CLI writes. Human mode prints progress lines on stdout; --json mode prints nothing but one
 * document on stdout. Notes and failures go to stderr in both.
 */
interface Out {
  line(text: string): void;
  note(text: string): void;
  /** The command's --json document. */
  document(doc: Record<string, unknown>): void;
  /** A failure the command reports itself (its --json document carries it). */
  failure(error: ClientError, verbose: boolean): void;
  /** Ctrl-C / SIGTERM: ends the process with exit 130. */
  interrupted(): void;
}

// Everything printed may quote the server: no escape sequences or control characters reach the terminal.
const note = (text: string) => process.stderr.write(`${printable(text)}\n`);
const jsonText = (doc: unknown) => `${terminalJson(doc)}\n`;

function announceInterrupt(): void {
  process.stderr.write('\nInterrupted.\n');
  process.exitCode = ExitCode.interrupted;
}

const humanOut: Out = {
  line: (text) => process.stdout.write(`${printable(text)}\n`),
  note,
  document: () => undefined,
  failure: (error, verbose) => errorLines(error, verbose).forEach(note),
  interrupted: () => {
    announceInterrupt();
    process.exit(ExitCode.interrupted);
  },
};

const jsonOut: Out = {
  line: () => undefined,
  note,
  document: (doc) => process.stdout.write(jsonText(doc)),
  failure: () => undefined,
  interrupted: () => {
    announceInterrupt();
    // --json promises one document on stdout, also when interrupted: exit once it is flushed.
    const doc = errorDocument(new ClientError('interrupted', 'Interrupted.'));
    setTimeout(() => process.exit(ExitCode.interrupted), 2_000).unref();
    process.stdout.write(jsonText(doc), () => process.exit(ExitCode.interrupted));
  },
};

/** The output `argv` asks for; --json also counts when the rest of argv is a usage error. */
function outputFor(argv: string[]): Out {
  let json: boolean;
  try {
    json = parseCliArgs(argv).json;
  } catch {
    json = argv.includes('--json');
  }
  return json ? jsonOut : humanOut;
}

const SCOPE_SOURCES: Record<ScopeDiscovery['source'], string> = {
  flag: 'from --scope',
  metadata: "from the server's protected resource metadata",
  challenge: "from the server's WWW-Authenticate challenge",
  fallback: 'default',
};

const TOKEN_SOURCES: Record<SignInResult['source'], string> = {
  cache: '✓ Token acquired silently from cache',
  refresh: '✓ Token refreshed silently (refresh token from cache)',
  device_code: '✓ Token acquired with device code sign-in',
  browser: '✓ Token acquired with browser sign-in',
};

/** The claims JSON of a step-up challenge (`claims` is base64 of it; base64url accepted too); undefined if unusable. */
export function decodeClaims(value: string): string | undefined {
  const text = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? text : undefined;
  } catch {
    return undefined;
  }
}

function tokenJson(token: SignInResult, showToken: boolean): Record<string, unknown> {
  return {
    source: token.source,
    username: token.username ?? null,
    expiresOn: token.expiresOn?.toISOString() ?? null,
    ...(showToken ? { accessToken: token.accessToken } : { preview: redactToken(token.accessToken) }),
  };
}

function toolFailure(name: string, result: ToolResult): ClientError {
  return new ClientError('tool', `Tool ${name} returned an error: ${result.text || '(no message)'}`, {
    fix: toolErrorFix(result.text),
    details: {
      tool: name,
      result: { isError: true, text: result.text, structuredContent: result.structuredContent ?? null },
    },
  });
}

async function logout(opts: CliOptions, out: Out): Promise<number> {
  const path = opts.cache ?? defaultCachePath();
  const removed = await removeCache(path);
  out.document({ ok: true, command: 'logout', cache: path, removed });
  out.line(
    removed
      ? `✓ Signed out: removed the token cache ${path}`
      : `No token cache at ${path}; nothing to remove.`,
  );
  return ExitCode.ok;
}

async function doctor(opts: CliOptions, out: Out): Promise<number> {
  const report = await runDoctor(opts.server, {
    timeoutMs: opts.timeoutMs,
    authorityHost: opts.authorityHost,
  });
  out.document({ command: 'doctor', ...report });
  for (const l of doctorLines(report)) out.line(l);
  return report.exitCode;
}

async function run(opts: CliOptions, out: Out): Promise<number> {
  const cachePath = opts.cache ?? defaultCachePath();
  out.line('Starting Azure OBO MCP Client');
  if (opts.clearCache && (await removeCache(cachePath))) out.line(`✓ Removed the token cache ${cachePath}`);
  if (!opts.clientId) {
    throw new ClientError('usage', 'Missing the app registration (client) id.', {
      fix: 'Set ENTRA_CLIENT_ID (the API app) and, with a separate CLI app registration, ENTRA_CLI_CLIENT_ID, or pass --client-id <guid>.',
    });
  }

  const discovery: ScopeDiscovery = opts.scope
    ? { scope: opts.scope, source: 'flag', reachable: true }
    : await discoverScope(opts.server, {
        apiClientId: opts.apiClientId,
        authorityHost: opts.authorityHost,
        timeoutMs: Math.min(opts.timeoutMs, 10_000),
      });
  for (const n of discovery.notes ?? []) out.note(`Note: ${oneLine(n)}`);
  if (!discovery.reachable) {
    // Without a scope from the server there is nothing to sign in for yet: report the server first.
    throw unreachableServer(opts.server, discovery.failure ?? 'no answer');
  }
  // A wrong URL is worth saying before anything else (signing in, or asking to tie it to the API).
  if (isNotAnEndpoint(discovery.status)) throw notAnMcpEndpoint(opts.server, discovery.status!);
  // Before any sign-in: no token is acquired for a server that is not tied to the scope's API.
  const tie = serverTie(discovery, opts.server, opts.apiServerUrls);
  if (!tie) throw untiedServerError(discovery, opts);
  out.line(`Scope: ${discovery.scope} (${SCOPE_SOURCES[discovery.source]})`);
  const tenantId = opts.tenantId ?? discovery.tenantId;
  if (!tenantId)
    throw new ClientError('usage', 'Missing the tenant id.', {
      fix: 'Set ENTRA_TENANT_ID or pass --tenant-id <guid or domain>.',
    });
  if (!opts.tenantId && discovery.tenantId)
    out.note(
      `Note: tenant ${tenantId} taken from the server's protected resource metadata (authorization server ${discovery.tenantSource ?? '?'}); pass --tenant-id or set ENTRA_TENANT_ID to choose it yourself.`,
    );

  out.line('Acquiring Azure token...');
  const signInOptions = {
    clientId: opts.clientId,
    apiClientId: opts.apiClientId,
    tenantId,
    authorityHost: opts.authorityHost,
    scope: discovery.scope,
    cachePath,
    cacheIsDefault: opts.cache === undefined,
    verbose: opts.verbose,
    auth: opts.auth,
    onDeviceCode: (message: string) => out.note(message),
    onNote: (message: string) => out.note(message),
  };
  let token = await signIn(signInOptions);
  const showAcquired = () => {
    out.line(TOKEN_SOURCES[token.source]);
    if (token.username) out.line(`✓ Account: ${token.username}`);
    out.line(tokenLine(token.accessToken, token.expiresOn, opts.showToken));
  };
  showAcquired();
  const base: Record<string, unknown> = {
    server: opts.server,
    scope: discovery.scope,
    scopeSource: discovery.source,
    serverTie: tie,
    token: tokenJson(token, opts.showToken),
  };

  // One retry per run after a 401: a Conditional Access step-up (insufficient_claims + claims) needs an
  // interactive sign-in carrying the claims; invalid_token on a token that was not just signed in for needs a
  // fresh one (forced refresh, else a new sign-in).
  const renew: RenewToken = async (challenge) => {
    let next: SignInResult;
    if (challenge.error === 'insufficient_claims' && challenge.claims) {
      const claims = decodeClaims(challenge.claims);
      if (!claims) return undefined;
      out.note(
        `The server asks for a stronger sign-in (Conditional Access: ${challenge.errorDescription ?? 'insufficient_claims'}); signing in again with the requested claims.`,
      );
      next = await signIn({ ...signInOptions, claims });
      base.renewed = 'step_up';
    } else if (
      challenge.error === 'invalid_token' &&
      (token.source === 'cache' || token.source === 'refresh')
    ) {
      out.note('The server rejected the cached token (invalid_token); getting a fresh one.');
      next = await signIn({ ...signInOptions, forceRefresh: true });
      base.renewed = 'invalid_token';
    } else return undefined;
    token = next;
    showAcquired();
    base.token = tokenJson(token, opts.showToken);
    return token.accessToken;
  };

  if (!opts.yes) {
    const answer = await confirm('Continue with MCP server testing? (y/N): ');
    if (answer !== 'yes') {
      const why =
        answer === 'no-tty'
          ? 'stdin is not a terminal; pass --yes to continue without asking.'
          : 'not confirmed.';
      out.note(`Stopped before sending the token to the MCP server: ${why}`);
      out.document({ ok: true, stopped: why, ...base });
      return ExitCode.ok;
    }
  }

  out.line(`Connecting to MCP server: ${opts.server}`);
  const session = await McpSession.connect(opts.server, token.accessToken, opts.timeoutMs, renew);
  try {
    out.line('✓ Connected to MCP server successfully');
    const serverInfo = session.serverVersion ?? null;
    if (opts.command === 'call' && opts.tool) {
      out.line(`Calling ${opts.tool} tool...`);
      const result = await session.callTool(opts.tool, opts.toolArgs);
      const failure = result.isError ? toolFailure(opts.tool, result) : undefined;
      const call = {
        tool: opts.tool,
        arguments: opts.toolArgs,
        result: {
          isError: result.isError,
          text: result.text,
          structuredContent: result.structuredContent ?? null,
        },
      };
      out.document(
        failure
          ? { ...errorDocument(failure), ...base, serverInfo, ...call }
          : { ok: true, ...base, serverInfo, ...call },
      );
      if (!failure) {
        for (const l of toolResultLines(result)) out.line(l);
        return ExitCode.ok;
      }
      out.failure(failure, opts.verbose);
      return failure.exitCode;
    }

    out.line('Testing server ping...');
    await session.ping();
    out.line('✓ Server responded to ping');
    out.line('Listing available tools...');
    const tools = await session.listTools();
    out.line(toolsLine(tools));
    out.line('Getting user information...');
    const user = await session.callTool('get_user_info', {});
    if (user.isError) throw toolFailure('get_user_info', user);
    for (const l of userLines(user.structuredContent)) out.line(l);
    out.line('Calling get_subscriptions tool...');
    const subs = await session.callTool('get_subscriptions', {});
    if (subs.isError) throw toolFailure('get_subscriptions', subs);
    const { subscriptions, truncated } = subscriptionsOf(subs.structuredContent);
    for (const l of subscriptionLines(subscriptions, truncated)) out.line(l);
    out.document({
      ok: true,
      ...base,
      serverInfo,
      tools,
      user: user.structuredContent ?? null,
      count: subscriptions.length,
      truncated,
      subscriptions,
    });
    return ExitCode.ok;
  } finally {
    await session.close();
  }
}

/** Runs the CLI with `argv` (without node and script); resolves to the process exit code. */
export async function main(argv: string[], out: Out = outputFor(argv)): Promise<number> {
  let opts: CliOptions | undefined;
  try {
    opts = parseCliArgs(argv);
    if (opts.command === 'help') {
      process.stdout.write(USAGE);
      return ExitCode.ok;
    }
    if (opts.command === 'logout') return await logout(opts, out);
    if (opts.command === 'doctor') return await doctor(opts, out);
    return await run(opts, out);
  } catch (error) {
    const verbose = opts?.verbose ?? argv.includes('--verbose');
    for (const l of errorLines(error, verbose)) note(l);
    const failure =
      error instanceof ClientError
        ? error
        : new ClientError('generic', error instanceof Error ? error.message : String(error));
    out.document(errorDocument(failure));
    return failure.exitCode;
  }
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  const argv = process.argv.slice(2);
  const out = outputFor(argv);
  process.once('SIGINT', () => out.interrupted());
  process.once('SIGTERM', () => out.interrupted());
  main(argv, out).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`✗ ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = ExitCode.generic;
    },
  );
}
