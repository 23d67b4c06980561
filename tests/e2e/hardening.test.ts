// End to end (dev host + emulator): allowed client apps, step-up and revoked sessions as 401 challenges,
// ARM 401 → fresh On-Behalf-Of, and Entra 429 Retry-After honoured for every user.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startEmulator } from '../../emulator/index.js';
import type { Emulator } from '../../emulator/index.js';
import {
  DEFAULT_CLI_CLIENT_ID,
  DEFAULT_THIRD_PARTY_CLIENT_ID,
  defaultUsers,
} from '../../emulator/defaults.js';
import { startDevHost } from '../helpers/dev-host.js';
import type { DevHost } from '../helpers/dev-host.js';
import { connect, textOf } from '../helpers/mcp-client.js';

let emulator: Emulator;
let host: DevHost;

const MFA_USER = {
  oid: 'f0a00000-0000-4000-8000-0000000f0a00',
  upn: 'mfa@contoso.example',
  name: 'Mfa',
  subscriptions: [],
  armMfaRequired: true,
};
const REVOKED_USER = {
  oid: 'de4d0000-0000-4000-8000-000000de4d00',
  upn: 'revoked@contoso.example',
  name: 'Revoked',
  subscriptions: [],
  sessionRevoked: true,
};

function call(name: string, id = 1): Record<string, unknown> {
  return { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {} } };
}

function post(token: string, body: unknown): Promise<Response> {
  return fetch(host.mcpUrl, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify(body),
  });
}

/** The parameters of a `Bearer a="b", c="d"` challenge. */
function params(header: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of (header ?? '').matchAll(/(\w+)="([^"]*)"/g)) out[m[1]!] = m[2]!;
  return out;
}

before(async () => {
  emulator = await startEmulator({ users: [...defaultUsers(), MFA_USER, REVOKED_USER] });
  host = await startDevHost({
    ...emulator.env('secret'),
    ENTRA_ALLOWED_CLIENT_IDS: `${emulator.clientId},${DEFAULT_CLI_CLIENT_ID}`,
  });
});

after(async () => {
  await host?.stop();
  await emulator?.stop();
});

beforeEach(() => emulator.resetCounts());

describe('allowed client applications', () => {
  it('logs the effective policy once at start', () => {
    const lines = host
      .logs()
      .split('\n')
      .filter((l) => l.includes('client applications allowed'));
    assert.equal(lines.length, 1);
    assert.ok(lines[0]!.includes(DEFAULT_CLI_CLIENT_ID));
  });

  for (const version of [1, 2] as const) {
    const claim = version === 2 ? 'azp' : 'appid';
    it(`403 invalid_token naming a client app that is not allowed (v${version} ${claim})`, async () => {
      const token = await emulator.issueUserToken({
        version,
        extraClaims: { [claim]: DEFAULT_THIRD_PARTY_CLIENT_ID },
      });
      const res = await post(token, call('get_user_info'));
      assert.equal(res.status, 403);
      const p = params(res.headers.get('www-authenticate'));
      assert.equal(p.error, 'invalid_token');
      assert.match(
        p.error_description ?? '',
        new RegExp(`Client application ${DEFAULT_THIRD_PARTY_CLIENT_ID} is not allowed`),
      );
      assert.equal(p.resource_metadata, `${host.url}/.well-known/oauth-protected-resource/mcp`);
      assert.equal(p.scope, `api://${emulator.clientId}/execute`);
    });

    it(`a listed client app is served (v${version} ${claim})`, async () => {
      const token = await emulator.issueUserToken({
        version,
        extraClaims: { [claim]: DEFAULT_CLI_CLIENT_ID },
      });
      const client = await connect(host.mcpUrl, token);
      const result = await client.callTool({ name: 'get_user_info', arguments: {} });
      assert.equal(result.isError, undefined, textOf(result));
      await client.close();
    });
  }
});

describe('On-Behalf-Of failures that need a new sign-in', () => {
  it('Conditional Access MFA on ARM → 401 insufficient_claims with the claims; a stepped-up token works', async () => {
    const token = await emulator.issueUserToken({ user: MFA_USER.oid });
    // Tools that need no ARM token still work without step-up.
    assert.equal((await post(token, call('get_user_info'))).status, 200);
    const res = await post(token, call('get_subscriptions'));
    assert.equal(res.status, 401);
    const header = res.headers.get('www-authenticate') ?? '';
    assert.match(
      header,
      /^Bearer error="insufficient_claims", error_description="[^"]+", claims="[^"]+", authorization_uri="[^"]+", resource_metadata="[^"]+", scope="[^"]+"$/,
    );
    const p = params(header);
    assert.match(p.claims ?? '', /^[A-Za-z0-9+/]+={0,2}$/, 'standard base64');
    const claims = JSON.parse(Buffer.from(p.claims!, 'base64').toString('utf8')) as Record<string, unknown>;
    assert.ok(claims.access_token, 'Entra claims JSON');
    assert.equal(p.resource_metadata, `${host.url}/.well-known/oauth-protected-resource/mcp`);
    assert.equal(p.scope, `api://${emulator.clientId}/execute`);
    assert.equal(((await res.json()) as { error: string }).error, 'insufficient_claims');

    const steppedUp = await emulator.issueUserToken({
      user: MFA_USER.oid,
      extraClaims: { amr: ['pwd', 'mfa'] },
    });
    const ok = await post(steppedUp, call('get_subscriptions'));
    assert.equal(ok.status, 200);
    const { result } = (await ok.json()) as { result: { isError?: boolean } };
    assert.equal(result.isError, undefined);
  });

  it('revoked session (invalid_grant, no claims) → 401 invalid_token; a batch and a retry cost one exchange', async () => {
    const token = await emulator.issueUserToken({ user: REVOKED_USER.oid });
    const batch = [call('get_subscriptions', 1), call('list_resources', 2), call('get_subscriptions', 3)];
    for (const body of [batch, call('get_subscriptions')]) {
      const res = await post(token, body);
      assert.equal(res.status, 401);
      const header = res.headers.get('www-authenticate') ?? '';
      assert.match(
        header,
        /^Bearer error="invalid_token", error_description="[^"]+", resource_metadata="[^"]+", scope="[^"]+"$/,
      );
    }
    assert.equal(emulator.counts()['entra.token.obo'], 1, 'the failure is remembered per token');
  });

  it('missing admin consent stays a tool error', async () => {
    emulator.users[1]!.consentRequired = true;
    try {
      const token = await emulator.issueUserToken({ user: emulator.users[1]!.oid });
      const res = await post(token, call('get_subscriptions'));
      assert.equal(res.status, 200);
      const { result } = (await res.json()) as { result: { isError: boolean; content: { text: string }[] } };
      assert.equal(result.isError, true);
      assert.match(result.content[0]!.text, /\[consent_required\]/);
    } finally {
      emulator.users[1]!.consentRequired = false;
    }
  });
});

describe('ARM and Entra throttling', () => {
  it('after ARM revokes the cached ARM token (CAE 401), the call does a fresh OBO and succeeds', async () => {
    const user = emulator.users[0]!;
    const client = await connect(host.mcpUrl, await emulator.issueUserToken({ user: user.oid }));
    const first = await client.callTool({ name: 'get_subscriptions', arguments: {} });
    assert.equal(first.isError, undefined, textOf(first));
    assert.equal(emulator.counts()['entra.token.obo'], 1);
    emulator.revokeArmTokens(user.oid);
    const second = await client.callTool({ name: 'get_subscriptions', arguments: {} });
    assert.equal(second.isError, undefined, textOf(second));
    assert.equal(emulator.counts()['entra.token.obo'], 2, 'one fresh exchange after the 401');
    const third = await client.callTool({ name: 'get_subscriptions', arguments: {} });
    assert.equal(third.isError, undefined, textOf(third));
    assert.equal(emulator.counts()['entra.token.obo'], 2, 'the fresh token is cached again');
    await client.close();
  });

  it('ARM 401 on every attempt: one fresh exchange, then an arm_unauthorized tool error', async () => {
    const client = await connect(
      host.mcpUrl,
      await emulator.issueUserToken({ user: emulator.users[1]!.oid }),
    );
    emulator.injectFault('arm', { status: 401, times: 2 });
    const result = await client.callTool({ name: 'get_subscriptions', arguments: {} });
    assert.equal(result.isError, true);
    assert.match(textOf(result), /\[arm_unauthorized\]/);
    assert.equal(emulator.counts()['entra.token.obo'], 2);
    await client.close();
  });

  it('Entra 429 with Retry-After: a tool error with the hint for every user, no exchange inside the window', async () => {
    const [alice, bob] = emulator.users;
    // Warm up: discovery, keys and MSAL's authority metadata are loaded, so the fault hits the token request.
    const warm = await post(await emulator.issueUserToken({ user: bob!.oid }), call('get_subscriptions'));
    assert.equal(warm.status, 200);
    emulator.resetCounts();
    emulator.injectFault('entra', { status: 429, retryAfterSec: 3 });
    for (const user of [alice!, bob!]) {
      const res = await post(await emulator.issueUserToken({ user: user.oid }), call('get_subscriptions'));
      assert.equal(res.status, 200);
      const { result } = (await res.json()) as { result: { isError: boolean; content: { text: string }[] } };
      assert.equal(result.isError, true);
      assert.match(result.content[0]!.text, /retry in [1-3] seconds\. \[obo_throttled\]/);
    }
    assert.equal(emulator.counts()['entra.token.obo'], 1, 'only the throttled request reached Entra');
    await new Promise((resolve) => setTimeout(resolve, 3100));
    const res = await post(await emulator.issueUserToken({ user: alice!.oid }), call('get_subscriptions'));
    const { result } = (await res.json()) as { result: { isError?: boolean } };
    assert.equal(result.isError, undefined, 'exchanges work again after the window');
  });

  it('logs captured during the suite contain no token or secret', () => {
    const logs = host.logs();
    assert.ok(!logs.includes(emulator.clientSecret));
    assert.doesNotMatch(logs, /eyJ[A-Za-z0-9_-]{10,}\.eyJ/);
  });
});
