// End to end with MCP_TELEMETRY=on: MCP SDK client → dev host → emulator, the app exporting OTLP/HTTP to a receiver
// in this process. Asserts the spans (names, parent/child links, attributes), the metrics, and that nothing the
// emulator issued (tokens, codes, secrets, assertions) nor the proxy's own tokens and keys appear in any export.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { defaultUsers } from '../../emulator/defaults.js';
import { startEmulator } from '../../emulator/index.js';
import type { Emulator } from '../../emulator/index.js';
import { startDevHost } from '../helpers/dev-host.js';
import type { DevHost } from '../helpers/dev-host.js';
import { ProxyClientProvider, startProxyHost } from '../helpers/oauth-proxy.js';
import { startOtlpReceiver } from '../helpers/otlp-receiver.js';
import type { OtlpReceiver, ReceivedSpan } from '../helpers/otlp-receiver.js';

const CAROL = {
  oid: 'ca201000-0000-4000-8000-0000000ca202',
  upn: 'carol@contoso.example',
  name: 'Carol',
  subscriptions: [],
  consentRequired: true,
};
const USER_KEY = 'telemetry-test-user-key-0123456789';
const TELEMETRY = (service: string) => ({
  MCP_TELEMETRY: 'on',
  OTEL_EXPORTER_OTLP_ENDPOINT: '', // set in before()
  OTEL_SERVICE_NAME: service,
  OTEL_BSP_SCHEDULE_DELAY: '100',
  OTEL_METRIC_EXPORT_INTERVAL: '300',
  MCP_TELEMETRY_USER_KEY: USER_KEY,
});

let emulator: Emulator;
let receiver: OtlpReceiver;
let host: DevHost;
let proxyHost: DevHost & { key: string };
let quiet: DevHost;
const handedOut: string[] = [];

before(async () => {
  receiver = await startOtlpReceiver();
  emulator = await startEmulator({ users: [...defaultUsers(), CAROL] });
  const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
  [host, proxyHost, quiet] = await Promise.all([
    startDevHost({ ...emulator.env('keyvault'), ...TELEMETRY('direct'), ...endpoint }),
    startProxyHost(emulator, { ...TELEMETRY('proxy'), ...endpoint }),
    // Telemetry off (the default), though an endpoint is set: nothing may reach the receiver.
    startDevHost({ ...emulator.env('secret'), ...endpoint, OTEL_SERVICE_NAME: 'quiet' }),
  ]);
});

after(async () => {
  await Promise.all([host?.stop(), proxyHost?.stop(), quiet?.stop()]);
  await emulator?.stop();
  await receiver?.stop();
});

function traceparent(): { header: string; traceId: string; parentId: string } {
  const traceId = [...crypto.getRandomValues(new Uint8Array(16))]
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('');
  const parentId = 'a1b2c3d4e5f60718';
  return { header: `00-${traceId}-${parentId}-01`, traceId, parentId };
}

async function callTool(url: string, token: string, tool: string, headers: Record<string, string> = {}) {
  const client = new Client({ name: 'telemetry-e2e', version: '1' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { Authorization: `Bearer ${token}`, ...headers } },
    }),
  );
  try {
    return await client.callTool({ name: tool, arguments: {} });
  } finally {
    await client.close();
  }
}

/** `step`, or a failure naming it (with the host's last log lines) after 20 s: a hang must not become a timeout. */
async function within<T>(what: string, step: Promise<T>, of: DevHost): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: no answer in 20 s\n${of.logs().slice(-3000)}`)),
      20_000,
    );
  });
  try {
    return await Promise.race([step, late]);
  } finally {
    clearTimeout(timer);
  }
}

const inTrace = (traceId: string, service: string) => () => {
  const spans = receiver.spans(service).filter((s) => s.traceId === traceId);
  return spans.some((s) => s.name === 'mcp.request' && s.attributes['mcp.method.name'] === 'tools/call')
    ? spans
    : undefined;
};

function one(
  spans: ReceivedSpan[],
  name: string,
  where: (s: ReceivedSpan) => boolean = () => true,
): ReceivedSpan {
  const found = spans.filter((s) => s.name === name && where(s));
  assert.equal(
    found.length,
    1,
    `one ${name} span, got ${found.length}: ${JSON.stringify(spans.map((s) => s.name))}`,
  );
  return found[0]!;
}

describe('telemetry (MCP_TELEMETRY=on, OTLP)', () => {
  it("a tool call: the request span joins the caller's trace under the host's invocation, with verification, OBO, tool and ARM spans as children", async () => {
    const token = await emulator.issueUserToken();
    handedOut.push(token);
    const trace = traceparent();
    const result = await callTool(host.mcpUrl, token, 'get_subscriptions', { traceparent: trace.header });
    assert.notEqual(result.isError, true);
    const spans = await receiver.waitFor('tool call trace', inTrace(trace.traceId, 'direct'));
    const request = one(spans, 'mcp.request', (s) => s.attributes['mcp.method.name'] === 'tools/call');
    // The parent is the host's invocation span (the dev host's stand-in), itself a child of the caller's span.
    assert.match(request.parentSpanId, /^[0-9a-f]{16}$/);
    assert.notEqual(request.parentSpanId, trace.parentId);
    assert.equal(request.kind, 1, 'INTERNAL: the host reports the HTTP request itself');
    const alice = defaultUsers()[0]!;
    assert.deepEqual(
      {
        tool: request.attributes['gen_ai.tool.name'],
        outcome: request.attributes['mcp.outcome'],
        status: request.attributes['http.response.status_code'],
        client: request.attributes['mcp.client'],
        user: request.attributes['enduser.pseudo.id'],
      },
      {
        tool: 'get_subscriptions',
        outcome: 'ok',
        status: 200,
        client: `entra:${emulator.clientId}`,
        user: createHmac('sha256', USER_KEY).update(alice.oid).digest('hex'),
      },
    );
    assert.equal(request.attributes['enduser.id'], undefined, 'the object id itself is not exported');
    // The client's first request (initialize) verified the token; the tool call found it cached.
    const initialize = one(spans, 'mcp.request', (s) => s.attributes['mcp.method.name'] === 'initialize');
    assert.equal(initialize.attributes['auth.cached'], false);
    const verify = one(spans, 'auth.verify_bearer');
    assert.equal(verify.parentSpanId, initialize.spanId);
    assert.equal(verify.attributes['auth.via_proxy'], false);
    assert.equal(request.attributes['auth.cached'], true);
    const obo = one(spans, 'obo.exchange');
    assert.equal(obo.parentSpanId, request.spanId, 'the pre-flight exchange, once per tool call');
    assert.equal(obo.attributes['obo.cache'], 'miss');
    assert.equal(obo.attributes['obo.credential_mode'], 'keyvault');
    const tool = one(spans, 'mcp.tool_call');
    assert.equal(tool.parentSpanId, request.spanId);
    assert.deepEqual(
      [tool.attributes['gen_ai.tool.name'], tool.attributes['mcp.outcome']],
      ['get_subscriptions', 'ok'],
    );
    const arm = spans.filter((s) => s.name === 'arm.request');
    assert.ok(arm.length >= 1);
    for (const [i, page] of arm.entries()) {
      assert.equal(page.parentSpanId, tool.spanId, "ARM calls are the tool call's");
      assert.equal(page.kind, 3, 'CLIENT');
      assert.equal(page.attributes['http.response.status_code'], 200);
      assert.equal(page.attributes['arm.operation'], 'subscriptions.list');
      assert.equal(page.attributes['arm.page'], i + 1);
      assert.equal(page.attributes['http.request.resend_count'], 0);
      assert.doesNotMatch(String(page.attributes['url.path']), /[?&]/, 'no query');
    }
    // The same token again: verification and the ARM token come from the caches.
    const again = traceparent();
    await callTool(host.mcpUrl, token, 'get_subscriptions', { traceparent: again.header });
    const second = await receiver.waitFor('second trace', inTrace(again.traceId, 'direct'));
    assert.equal(
      second.filter((s) => s.name === 'auth.verify_bearer').length,
      0,
      'no verification work, no span',
    );
    assert.ok(
      second
        .filter((s) => s.name === 'mcp.request' && s.attributes['mcp.method.name'] !== undefined)
        .every((s) => s.attributes['auth.cached'] === true),
    );
    assert.equal(one(second, 'obo.exchange').attributes['obo.cache'], 'hit');
  });

  it("the start-up prefetch's Key Vault read is a credential.read span", async () => {
    const read = await receiver.waitFor('credential.read', () =>
      receiver.spans('direct').find((s) => s.name === 'credential.read'),
    );
    assert.equal(read.attributes['credential.source'], 'key_vault');
    assert.equal(read.status, 0);
  });

  it('a rejected bearer: the request span says rejected, the verification span carries the code, and it is counted', async () => {
    const trace = traceparent();
    const res = await fetch(host.mcpUrl, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
        Authorization: 'Bearer not-a-jwt',
        traceparent: trace.header,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    assert.equal(res.status, 401);
    const spans = await receiver.waitFor('rejected trace', () => {
      const found = receiver.spans('direct').filter((s) => s.traceId === trace.traceId);
      return found.some((s) => s.name === 'mcp.request') ? found : undefined;
    });
    const request = one(spans, 'mcp.request');
    assert.equal(request.attributes['mcp.outcome'], 'rejected');
    assert.equal(request.attributes['http.response.status_code'], 401);
    assert.equal(request.attributes['error.type'], 'token_malformed');
    assert.equal(request.status, 2);
    assert.equal(request.attributes['mcp.client'], undefined, 'no client before the token is verified');
    const verify = one(spans, 'auth.verify_bearer');
    assert.equal(verify.parentSpanId, request.spanId);
    assert.equal(verify.attributes['error.type'], 'token_malformed');
    assert.equal(verify.status, 2);
    assert.deepEqual(verify.events, [], 'no exception event (its message and stack could carry internals)');
    await receiver.waitFor('verification failure metric', () =>
      receiver
        .points('direct')
        .find(
          (p) =>
            p.metric === 'auth.verification.failures' && p.attributes['error.type'] === 'token_malformed',
        ),
    );
  });

  it('an OBO failure: the exchange span carries the code and the AADSTS number; the tool call is a tool error', async () => {
    const token = await emulator.issueUserToken({ user: CAROL.upn });
    handedOut.push(token);
    const trace = traceparent();
    const result = await callTool(host.mcpUrl, token, 'get_subscriptions', { traceparent: trace.header });
    assert.equal(result.isError, true);
    const spans = await receiver.waitFor('OBO failure trace', inTrace(trace.traceId, 'direct'));
    const obo = one(spans, 'obo.exchange');
    assert.deepEqual(
      [obo.attributes['error.type'], obo.attributes['obo.aadsts'], obo.status],
      ['consent_required', 65001, 2],
    );
    const request = one(spans, 'mcp.request', (s) => s.attributes['mcp.method.name'] === 'tools/call');
    assert.equal(request.attributes['mcp.outcome'], 'tool_error');
    const tool = one(spans, 'mcp.tool_call');
    assert.deepEqual(
      [tool.attributes['mcp.outcome'], tool.attributes['error.type']],
      ['tool_error', 'consent_required'],
    );
    await receiver.waitFor('OBO failure metric', () =>
      receiver
        .points('direct')
        .find(
          (p) =>
            p.metric === 'obo.exchanges' &&
            p.attributes['error.type'] === 'consent_required' &&
            p.attributes['obo.aadsts'] === 65001,
        ),
    );
  });

  it('metrics: tool calls by tool, outcome and client; lookups by cache result; latency histograms', async () => {
    const expected: [string, Record<string, unknown>][] = [
      [
        'mcp.tool.calls',
        {
          'gen_ai.tool.name': 'get_subscriptions',
          'mcp.outcome': 'ok',
          'mcp.client': `entra:${emulator.clientId}`,
        },
      ],
      ['mcp.tool.calls', { 'gen_ai.tool.name': 'get_subscriptions', 'mcp.outcome': 'tool_error' }],
      ['obo.exchanges', { 'obo.cache': 'miss' }],
      ['obo.exchanges', { 'obo.cache': 'hit' }],
      ['obo.exchange.duration', {}],
      ['mcp.request.duration', { 'mcp.method.name': 'tools/call', 'mcp.outcome': 'ok' }],
      ['arm.request.duration', { 'arm.operation': 'subscriptions.list', 'http.response.status_code': 200 }],
    ];
    const missing = () =>
      expected.filter(
        ([metric, attributes]) =>
          !receiver
            .points('direct')
            .some(
              (p) =>
                p.metric === metric && Object.entries(attributes).every(([k, v]) => p.attributes[k] === v),
            ),
      );
    await receiver
      .waitFor('metrics', () => (missing().length === 0 ? true : undefined))
      .catch(() => {
        assert.fail(`metric points missing: ${JSON.stringify(missing())}`);
      });
  });

  it('a proxy sign-in: register, authorize, consent, callback and token are spans; the client is on every request span', async () => {
    const provider = new ProxyClientProvider('http://127.0.0.1:53791/callback', { name: 'Telemetry client' });
    const transport = new StreamableHTTPClientTransport(new URL(proxyHost.mcpUrl), {
      authProvider: provider,
    });
    await within(
      'sign-in',
      assert.rejects(new Client({ name: 'e2e', version: '1' }).connect(transport), UnauthorizedError),
      proxyHost,
    );
    const code = provider.callback?.searchParams.get('code');
    assert.ok(code);
    handedOut.push(code, provider.authorizationUrl?.searchParams.get('state') ?? '');
    await within('token request', transport.finishAuth(code), proxyHost);
    const tokens = provider.tokens();
    assert.ok(tokens?.access_token && tokens.refresh_token);
    handedOut.push(tokens.access_token, tokens.refresh_token, proxyHost.key);
    const client = new Client({ name: 'e2e', version: '1' });
    await within(
      'connect with the tokens',
      client.connect(
        new StreamableHTTPClientTransport(new URL(proxyHost.mcpUrl), { authProvider: provider }),
      ),
      proxyHost,
    );
    const info = await within(
      'get_user_info',
      client.callTool({ name: 'get_user_info', arguments: {} }),
      proxyHost,
    );
    assert.notEqual(info.isError, true);
    await within('close', client.close(), proxyHost);

    const steps = ['oauth.register', 'oauth.authorize', 'oauth.consent', 'oauth.callback', 'oauth.token'];
    const spans = await receiver.waitFor('proxy spans', () => {
      const found = receiver.spans('proxy');
      // The tool call's request span ends after the tool's: wait for both requests (initialize, tools/call).
      const done = found.filter((s) => s.name === 'mcp.request' && s.attributes['mcp.outcome'] === 'ok');
      return steps.every((n) => found.some((s) => s.name === n)) &&
        found.some((s) => s.name === 'mcp.tool_call') &&
        done.some((s) => s.attributes['mcp.method.name'] === 'tools/call')
        ? found
        : undefined;
    });
    const label = spans.find((s) => s.name === 'oauth.register')!.attributes['mcp.client'];
    assert.match(String(label), /^registered:[A-Za-z0-9_-]{12}$/);
    const authorize = spans.find((s) => s.name === 'oauth.authorize')!;
    assert.equal(authorize.attributes['mcp.client'], label);
    assert.equal(authorize.attributes['oauth.client_type'], 'registration');
    const consent = spans.find((s) => s.name === 'oauth.consent')!;
    assert.deepEqual(
      [consent.attributes['mcp.client'], consent.attributes['oauth.consent.decision']],
      [label, 'approve'],
    );
    assert.equal(spans.find((s) => s.name === 'oauth.callback')!.attributes['mcp.client'], label);
    const token = spans.find((s) => s.name === 'oauth.token')!;
    assert.deepEqual(
      [token.attributes['mcp.client'], token.attributes['oauth.grant_type']],
      [label, 'authorization_code'],
    );
    for (const s of spans.filter((x) => x.name.startsWith('oauth.'))) assert.equal(s.kind, 1);
    const requests = spans.filter((s) => s.name === 'mcp.request' && s.attributes['mcp.outcome'] === 'ok');
    assert.ok(requests.length >= 2);
    for (const r of requests)
      assert.equal(r.attributes['mcp.client'], label, 'every verified request names its client');
    for (const r of requests) assert.equal(r.attributes['auth.via_proxy'], true);
    const points = await receiver.waitFor('sign-in metrics', () => {
      const p = receiver.points('proxy');
      return p.some((x) => x.metric === 'oauth.sign_ins') &&
        p.some((x) => x.metric === 'oauth.consent.decisions')
        ? p
        : undefined;
    });
    assert.ok(
      points.some(
        (p) =>
          p.metric === 'oauth.sign_ins' &&
          p.attributes['mcp.client'] === label &&
          p.attributes['mcp.outcome'] === 'ok',
      ),
    );
    assert.ok(
      points.some(
        (p) =>
          p.metric === 'oauth.consent.decisions' &&
          p.attributes['mcp.client'] === label &&
          p.attributes['oauth.consent.decision'] === 'approve',
      ),
    );
  });

  it('warnings are exported as log records, in the trace of their request', async () => {
    const trace = traceparent();
    await fetch(host.mcpUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer x', traceparent: trace.header },
      body: '{}',
    });
    const line = await receiver.waitFor('the rejection warning', () =>
      receiver.logs('direct').find((l) => l.traceId === trace.traceId),
    );
    assert.equal(line.severity, 'WARN');
    assert.match(line.body, /^mcp: rejected request: token_malformed$/);
    assert.ok(
      !receiver.logs('direct').some((l) => l.severity === 'INFO'),
      'info lines stay in the console (the host log in Azure)',
    );
  });

  it('no export holds a token, code, secret, assertion or state the emulator or the proxy handed out', async () => {
    // Let the last batches and metric intervals go out.
    await new Promise((r) => setTimeout(r, 800));
    const exported = receiver.raw().join('\n');
    assert.ok(exported.length > 10_000, 'there is telemetry to scan');
    const secrets = [...new Set([...emulator.issuedValues(), ...handedOut])].filter((v) => v.length >= 16);
    assert.ok(secrets.length >= 8, `scanned for ${secrets.length} values`);
    for (const secret of secrets) {
      // A JWT's signature (or a whole opaque value) is what must never leave: its claims are not secret by themselves.
      const needle = secret.split('.').length === 3 ? secret.split('.')[2]! : secret;
      assert.ok(
        !exported.includes(needle),
        `an issued value (${needle.slice(0, 6)}…) appears in the telemetry`,
      );
    }
    assert.doesNotMatch(exported, /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./, 'nothing JWT-shaped');
    assert.doesNotMatch(exported, /[?&](code|state|client_secret)=/, 'no URL with a query');
  });

  it('telemetry off (the default) exports nothing, even with an OTLP endpoint set', async () => {
    const token = await emulator.issueUserToken();
    handedOut.push(token);
    await callTool(quiet.mcpUrl, token, 'get_subscriptions');
    await new Promise((r) => setTimeout(r, 700));
    assert.deepEqual(receiver.spans('quiet'), []);
    assert.deepEqual(receiver.points('quiet'), []);
    assert.deepEqual(receiver.logs('quiet'), []);
  });
});
