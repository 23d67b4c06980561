// End to end: MCP SDK client → dev host (child process) → emulated Entra ID and ARM over HTTPS.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startEmulator } from '../../emulator/index.js';
import type { Emulator } from '../../emulator/index.js';
import { defaultUsers } from '../../emulator/defaults.js';
import { startDevHost } from '../helpers/dev-host.js';
import type { DevHost } from '../helpers/dev-host.js';
import { connect, textOf } from '../helpers/mcp-client.js';

const ACCEPT = 'application/json, text/event-stream';
let emulator: Emulator;
let host: DevHost;
const issuedTokens: string[] = [];

async function token(opts: Parameters<Emulator['issueUserToken']>[0] = {}): Promise<string> {
  const t = await emulator.issueUserToken(opts);
  issuedTokens.push(t);
  return t;
}

function post(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(host.mcpUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: ACCEPT, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

before(async () => {
  const carol = {
    oid: 'ca201000-0000-4000-8000-0000000ca201',
    upn: 'carol@contoso.example',
    name: 'Carol',
    subscriptions: [],
    consentRequired: true,
  };
  emulator = await startEmulator({ users: [...defaultUsers(), carol] });
  host = await startDevHost({
    ...emulator.env('secret'),
    MCP_ALLOWED_ORIGINS: 'https://allowed.example.test',
  });
});

after(async () => {
  await host?.stop();
  await emulator?.stop();
});

beforeEach(() => emulator.resetCounts());

describe('MCP over the dev host', () => {
  it('initializes, lists the four tools with schemas and read-only hints', async () => {
    const client = await connect(host.mcpUrl, await token());
    assert.equal(client.getServerVersion()?.name, 'azure-obo-mcp');
    await client.ping();
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), [
      'get_subscriptions',
      'get_user_info',
      'list_resource_groups',
      'list_resources',
    ]);
    for (const tool of tools) {
      assert.ok(tool.description, `${tool.name} has a description`);
      assert.ok(tool.outputSchema, `${tool.name} has an output schema`);
      assert.equal(tool.annotations?.readOnlyHint, true);
    }
    await client.close();
    assert.equal(emulator.counts()['entra.token.obo'] ?? 0, 0, 'listing tools needs no OBO');
  });

  for (const version of [1, 2] as const) {
    it(`get_user_info reads a v${version} token's claims without network`, async () => {
      const user = emulator.users[0]!;
      const client = await connect(host.mcpUrl, await token({ version }));
      const result = await client.callTool({ name: 'get_user_info', arguments: {} });
      assert.equal(result.isError, undefined);
      const info = result.structuredContent as Record<string, unknown>;
      assert.equal(info.upn, user.upn);
      assert.equal(info.oid, user.oid);
      assert.equal(info.tenantId, emulator.tenantId);
      assert.deepEqual(info.scopes, ['execute']);
      assert.equal(info.tokenVersion, `${version}.0`);
      assert.deepEqual(JSON.parse(textOf(result)), info, 'the first text block is the JSON');
      await client.close();
      assert.equal(emulator.counts()['entra.token.obo'] ?? 0, 0);
    });

    it(`get_subscriptions with a v${version} token returns all pages via OBO`, async () => {
      const user = emulator.users[0]!;
      const client = await connect(host.mcpUrl, await token({ version }));
      const result = await client.callTool({ name: 'get_subscriptions', arguments: {} });
      assert.equal(result.isError, undefined, textOf(result));
      const out = result.structuredContent as {
        count: number;
        subscriptions: { subscriptionId: string; displayName: string; state: string; tenantId: string }[];
      };
      assert.equal(out.count, user.subscriptions.length);
      assert.ok(out.count > 2, 'the default user spans two ARM pages');
      assert.deepEqual(
        out.subscriptions.map((s) => s.subscriptionId).sort(),
        user.subscriptions.map((s) => s.subscriptionId).sort(),
      );
      assert.equal(emulator.counts()['arm.subscriptions'], 2, 'two ARM pages were read');
      assert.equal(emulator.counts()['entra.token.obo'], 1);
      await client.close();
    });
  }

  it('a client that parses content[0].text as JSON (as clients of the Python demo do) reads every tool', async () => {
    const user = emulator.users[0]!;
    const sub = user.subscriptions[0]!;
    const client = await connect(host.mcpUrl, await token());
    const calls: [string, Record<string, string>][] = [
      ['get_user_info', {}],
      ['get_subscriptions', {}],
      ['list_resource_groups', { subscriptionId: sub.subscriptionId }],
      ['list_resources', { subscriptionId: sub.subscriptionId }],
      ['list_resources', { subscriptionId: sub.subscriptionId, resourceGroup: sub.resourceGroups![0]!.name }],
    ];
    const { tools } = await client.listTools();
    assert.deepEqual(new Set(calls.map(([name]) => name)), new Set(tools.map((t) => t.name)), 'every tool');
    for (const [name, args] of calls) {
      const result = await client.callTool({ name, arguments: args });
      assert.equal(result.isError, undefined, textOf(result));
      const [first] = result.content as { type: string; text: string }[];
      assert.equal(first?.type, 'text', name);
      assert.deepEqual(
        JSON.parse(first.text),
        result.structuredContent,
        `${name}: content[0].text is the JSON`,
      );
    }
    await client.close();
  });

  it('five calls by one user cause exactly one OBO request', async () => {
    const client = await connect(host.mcpUrl, await token());
    for (let i = 0; i < 5; i++) {
      const result = await client.callTool({ name: 'get_subscriptions', arguments: {} });
      assert.equal(result.isError, undefined, textOf(result));
    }
    await client.close();
    assert.equal(emulator.counts()['entra.token.obo'], 1);
  });

  it('two concurrent users each see only their own subscriptions', async () => {
    const [alice, bob] = emulator.users;
    assert.ok(alice && bob);
    const run = async (user: typeof alice) => {
      const client = await connect(host.mcpUrl, await token({ user: user.oid }));
      const results = await Promise.all(
        Array.from({ length: 3 }, () => client.callTool({ name: 'get_subscriptions', arguments: {} })),
      );
      await client.close();
      return results.map((r) =>
        (r.structuredContent as { subscriptions: { subscriptionId: string }[] }).subscriptions
          .map((s) => s.subscriptionId)
          .sort(),
      );
    };
    const [a, b] = await Promise.all([run(alice), run(bob)]);
    const expected = (u: typeof alice) => u.subscriptions.map((s) => s.subscriptionId).sort();
    for (const ids of a) assert.deepEqual(ids, expected(alice));
    for (const ids of b) assert.deepEqual(ids, expected(bob));
    assert.equal(emulator.counts()['entra.token.obo'], 2, 'concurrent calls by one user share one exchange');
  });

  it('lists resource groups and resources', async () => {
    const user = emulator.users[0]!;
    const sub = user.subscriptions.find((s) => (s.resourceGroups ?? []).length > 0);
    assert.ok(sub, 'the default user has a subscription with resource groups');
    const client = await connect(host.mcpUrl, await token());
    const groups = await client.callTool({
      name: 'list_resource_groups',
      arguments: { subscriptionId: sub.subscriptionId },
    });
    assert.equal(groups.isError, undefined, textOf(groups));
    const names = (groups.structuredContent as { resourceGroups: { name: string }[] }).resourceGroups
      .map((g) => g.name)
      .sort();
    assert.deepEqual(names, (sub.resourceGroups ?? []).map((g) => g.name).sort());
    const rg = sub.resourceGroups![0]!;
    const resources = await client.callTool({
      name: 'list_resources',
      arguments: { subscriptionId: sub.subscriptionId, resourceGroup: rg.name },
    });
    assert.equal(resources.isError, undefined, textOf(resources));
    const out = resources.structuredContent as { resources: { name: string; resourceGroup?: string }[] };
    assert.deepEqual(out.resources.map((r) => r.name).sort(), (rg.resources ?? []).map((r) => r.name).sort());
    const all = await client.callTool({
      name: 'list_resources',
      arguments: { subscriptionId: sub.subscriptionId },
    });
    assert.equal(all.isError, undefined, textOf(all));
    await client.close();
  });

  it('rejects bad tool input with a tool error, not a crash', async () => {
    const client = await connect(host.mcpUrl, await token());
    const result = await client.callTool({
      name: 'list_resource_groups',
      arguments: { subscriptionId: '../../etc' },
    });
    assert.equal(result.isError, true);
    await client.close();
  });

  it("another user's subscription is an isError tool result with an RBAC hint", async () => {
    const [alice, bob] = emulator.users;
    const client = await connect(host.mcpUrl, await token({ user: alice!.oid }));
    const result = await client.callTool({
      name: 'list_resource_groups',
      arguments: { subscriptionId: bob!.subscriptions[0]!.subscriptionId },
    });
    assert.equal(result.isError, true);
    assert.match(textOf(result), /\[arm_(forbidden|not_found)\]/);
    await client.close();
  });

  it('survives one ARM 429 (SDK retry honours Retry-After)', async () => {
    emulator.injectFault('arm', { status: 429, retryAfterSec: 1, times: 1 });
    const client = await connect(host.mcpUrl, await token());
    const result = await client.callTool({ name: 'get_subscriptions', arguments: {} });
    assert.equal(result.isError, undefined, textOf(result));
    assert.equal(emulator.counts()['arm.subscriptions'], 3, 'one throttled + two pages');
    await client.close();
  });

  it('persistent ARM throttling becomes a 429 tool error after retries', async () => {
    emulator.injectFault('arm', { status: 429, retryAfterSec: 0, times: 10 });
    const client = await connect(host.mcpUrl, await token());
    const result = await client.callTool({ name: 'get_subscriptions', arguments: {} });
    assert.equal(result.isError, true);
    assert.match(textOf(result), /\[arm_throttled\]/);
    await client.close();
  });

  it('missing admin consent is a consent_required tool error', async () => {
    const user = emulator.users.find((u) => u.consentRequired);
    assert.ok(user, 'the emulator has a user without consent');
    const client = await connect(host.mcpUrl, await token({ user: user.oid }));
    const result = await client.callTool({ name: 'get_subscriptions', arguments: {} });
    assert.equal(result.isError, true);
    assert.match(textOf(result), /admin consent/i);
    assert.match(textOf(result), /\[consent_required\]/);
    await client.close();
  });
});

describe('HTTP contract of /mcp', () => {
  it('401 with a resource_metadata challenge when no token is sent', async () => {
    const res = await post(INITIALIZE);
    assert.equal(res.status, 401);
    const challenge = res.headers.get('www-authenticate') ?? '';
    assert.match(challenge, /^Bearer /);
    assert.ok(challenge.includes(`resource_metadata="${host.url}/.well-known/oauth-protected-resource/mcp"`));
    assert.ok(challenge.includes(`scope="api://${emulator.clientId}/execute"`));
    assert.ok(!challenge.includes('error='));
  });

  it('401 invalid_token for an expired or foreign token, without echoing it', async () => {
    const expired = await token({ expiresInSec: -3600 });
    const res = await post(INITIALIZE, { Authorization: `Bearer ${expired}` });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    const body = await res.text();
    assert.ok(!body.includes(expired));
    const foreign = await token({ audience: 'api://someone-else' });
    assert.equal((await post(INITIALIZE, { Authorization: `Bearer ${foreign}` })).status, 401);
    assert.equal((await post(INITIALIZE, { Authorization: 'Bearer garbage' })).status, 401);
    assert.equal((await post(INITIALIZE, { Authorization: 'Basic dXNlcjpwYXNz' })).status, 401);
  });

  it('403 insufficient_scope for a valid token without the execute scope', async () => {
    const res = await post(INITIALIZE, { Authorization: `Bearer ${await token({ scopes: ['read'] })}` });
    assert.equal(res.status, 403);
    assert.match(res.headers.get('www-authenticate') ?? '', /error="insufficient_scope"/);
  });

  for (const method of ['GET', 'DELETE']) {
    it(`405 with Allow: POST for ${method}`, async () => {
      const res = await fetch(host.mcpUrl, { method, headers: { Accept: ACCEPT } });
      assert.equal(res.status, 405);
      assert.equal(res.headers.get('allow'), 'POST');
    });
  }

  it('403 for an Origin outside MCP_ALLOWED_ORIGINS; CORS headers for an allowed one', async () => {
    const t = await token();
    const bad = await post(INITIALIZE, { Authorization: `Bearer ${t}`, Origin: 'https://evil.example.test' });
    assert.equal(bad.status, 403);
    const good = await post(INITIALIZE, {
      Authorization: `Bearer ${t}`,
      Origin: 'https://allowed.example.test',
    });
    assert.equal(good.status, 200);
    assert.equal(good.headers.get('access-control-allow-origin'), 'https://allowed.example.test');
  });

  it('a preflight from an allowed origin: 204 as the platform answers it (requested method and headers, no max age)', async () => {
    const res = await fetch(host.mcpUrl, {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://allowed.example.test',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization, content-type, mcp-protocol-version',
      },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), 'https://allowed.example.test');
    assert.equal(res.headers.get('access-control-allow-methods'), 'POST');
    assert.equal(
      res.headers.get('access-control-allow-headers'),
      'authorization, content-type, mcp-protocol-version',
    );
    assert.equal(res.headers.get('access-control-max-age'), null);
    const other = await fetch(host.mcpUrl, {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.example.test', 'Access-Control-Request-Method': 'POST' },
    });
    assert.equal(other.status, 403);
    assert.equal(other.headers.get('access-control-allow-origin'), null);
  });

  it('the metadata: * for any origin, the allowed origin itself for it; HEAD without a body', async () => {
    const metadata = `${host.url}/.well-known/oauth-protected-resource/mcp`;
    const any = await fetch(metadata, { headers: { Origin: 'https://evil.example.test' } });
    assert.equal(any.headers.get('access-control-allow-origin'), '*');
    const allowed = await fetch(metadata, { headers: { Origin: 'https://allowed.example.test' } });
    assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://allowed.example.test');
    const head = await fetch(metadata, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-type'), 'application/json');
    assert.equal(await head.text(), '');
  });

  it('400 for invalid JSON', async () => {
    assert.equal((await post('{not json', { Authorization: `Bearer ${await token()}` })).status, 400);
  });

  it('415 for a body that is not JSON', async () => {
    const headers = { Authorization: `Bearer ${await token()}`, 'Content-Type': 'text/plain' };
    assert.equal((await post('hello', headers)).status, 415);
  });

  it('400 for a batch over the limit', async () => {
    const batch = Array.from({ length: 11 }, (_, i) => ({ ...INITIALIZE, id: i + 1 }));
    assert.equal((await post(batch, { Authorization: `Bearer ${await token()}` })).status, 400);
  });

  it('413 for an oversized body', async () => {
    const big = JSON.stringify({ ...INITIALIZE, pad: 'x'.repeat(2 * 1024 * 1024) });
    assert.equal((await post(big, { Authorization: `Bearer ${await token()}` })).status, 413);
  });

  it('406 for a client that accepts neither JSON nor an event stream', async () => {
    const noAccept = await fetch(host.mcpUrl, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${await token()}`,
        'Content-Type': 'application/json',
        Accept: 'text/html',
      },
      body: JSON.stringify(INITIALIZE),
    });
    assert.equal(noAccept.status, 406);
  });

  for (const path of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp']) {
    it(`serves protected resource metadata at ${path}`, async () => {
      const res = await fetch(`${host.url}${path}`);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), {
        resource: host.mcpUrl,
        authorization_servers: [`${emulator.entraUrl}/${emulator.tenantId}/v2.0`],
        scopes_supported: [`api://${emulator.clientId}/execute`],
        bearer_methods_supported: ['header'],
        resource_name: 'azure-obo-mcp',
      });
    });
  }

  it('logs captured during the suite contain no token or secret', () => {
    const logs = host.logs();
    assert.ok(logs.length > 0);
    for (const t of issuedTokens) assert.ok(!logs.includes(t), 'a user token was logged');
    assert.ok(!logs.includes(emulator.clientSecret), 'the client secret was logged');
    assert.doesNotMatch(logs, /eyJ[A-Za-z0-9_-]{10,}\.eyJ/);
  });
});
