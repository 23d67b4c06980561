// Fixtures of the OAuth proxy's end-to-end tests: a dev host with MCP_OAUTH_PROXY=on on a known port (its public URL
// is fixed before it starts), the MCP SDK's OAuth client provider driven by a scripted browser, and an https server
// for client metadata documents.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { createServer as createHttpsServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import { ensureCa, issueServerCert } from '../../emulator/ca.js';
import type { CredentialMode, Emulator } from '../../emulator/index.js';
import { startDevHost } from './dev-host.js';
import type { DevHost } from './dev-host.js';
import { ScriptedBrowser } from './scripted-browser.js';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export function newProxyKey(): string {
  return randomBytes(32).toString('base64url');
}

/** A dev host with the OAuth proxy on, served at http://127.0.0.1:<port>/mcp (its MCP_PUBLIC_URL). */
export async function startProxyHost(
  emulator: Emulator,
  env: Record<string, string> = {},
  mode: CredentialMode = 'secret',
): Promise<DevHost & { key: string }> {
  const port = await freePort();
  const key = env.MCP_OAUTH_PROXY_KEY ?? newProxyKey();
  const host = await startDevHost({
    ...emulator.env(mode),
    PORT: String(port),
    MCP_PUBLIC_URL: `http://127.0.0.1:${port}/mcp`,
    MCP_OAUTH_PROXY: 'on',
    MCP_OAUTH_PROXY_KEY: key,
    ...env,
  });
  return { ...host, key };
}

/**
 * An MCP client's OAuth state (the SDK's OAuthClientProvider) whose "browser" is a ScriptedBrowser: it opens the
 * authorization URL, takes the decision on the consent page, and records where it was sent back to.
 */
export class ProxyClientProvider implements OAuthClientProvider {
  readonly browser: ScriptedBrowser;
  authorizationUrl: URL | undefined;
  callback: URL | undefined;
  consentPage: string | undefined;
  decision: 'approve' | 'deny' = 'approve';
  #client: OAuthClientInformationMixed | undefined;
  #tokens: OAuthTokens | undefined;
  #verifier = '';

  constructor(
    readonly redirect: string,
    readonly options: {
      clientMetadataUrl?: string;
      name?: string;
      /** The same browser (its cookies) as another sign-in. */
      browser?: ScriptedBrowser;
      /** Registered already (the same client signing in again). */
      client?: OAuthClientInformationMixed;
    } = {},
  ) {
    this.browser = options.browser ?? new ScriptedBrowser();
    this.#client = options.client;
  }

  get redirectUrl(): string {
    return this.redirect;
  }

  get clientMetadataUrl(): string | undefined {
    return this.options.clientMetadataUrl;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: this.options.name ?? 'azure-obo-mcp proxy e2e',
      redirect_uris: [this.redirect],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }

  state(): string {
    return 'proxy-e2e-state';
  }

  clientInformation(): OAuthClientInformationMixed | undefined {
    return this.#client;
  }

  saveClientInformation(info: OAuthClientInformationMixed): void {
    this.#client = info;
  }

  tokens(): OAuthTokens | undefined {
    return this.#tokens;
  }

  saveTokens(tokens: OAuthTokens): void {
    this.#tokens = tokens;
  }

  async redirectToAuthorization(url: URL): Promise<void> {
    this.authorizationUrl = url;
    const atRedirect = (u: URL) => u.toString().startsWith(this.redirect.replace(/\/$/, ''));
    const opened = await this.browser.open(url.toString(), atRedirect);
    if (opened.page) {
      assert.equal(
        opened.page.status,
        200,
        `authorize answered ${opened.page.status}: ${opened.page.body.slice(0, 300)}`,
      );
      this.consentPage = opened.page.body;
      const decided = await this.browser.decide(opened.page, this.decision, atRedirect);
      assert.ok(
        decided.stoppedAt,
        `not sent back to the client: ${decided.page?.status} ${decided.page?.body.slice(0, 300)}`,
      );
      this.callback = decided.stoppedAt;
    } else {
      this.consentPage = undefined;
      this.callback = opened.stoppedAt;
    }
  }

  saveCodeVerifier(verifier: string): void {
    this.#verifier = verifier;
  }

  codeVerifier(): string {
    return this.#verifier;
  }
}

export interface Document {
  status?: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** An https server (the emulator's CA) answering GET requests from `routes` (filled once its origin is known). */
export async function startDocumentServer(
  caDir: string,
): Promise<{ origin: string; routes: Map<string, Document>; requests: string[]; stop: () => Promise<void> }> {
  const routes = new Map<string, Document>();
  const ca = await ensureCa(caDir);
  const leaf = await issueServerCert(ca);
  const requests: string[] = [];
  const server: Server = createHttpsServer({ cert: leaf.certPem, key: leaf.keyPem }, (req, res) => {
    requests.push(req.url ?? '');
    const route = routes.get(req.url ?? '');
    if (!route) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(route.status ?? 200, { 'content-type': 'application/json', ...route.headers });
    res.end(typeof route.body === 'string' ? route.body : JSON.stringify(route.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `https://localhost:${port}`,
    routes,
    requests,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
