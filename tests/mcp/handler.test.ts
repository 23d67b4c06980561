// The /mcp handler with a fake verifier and OBO client: which On-Behalf-Of failures become HTTP answers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadSettings } from '../../src/config/settings.js';
import { OboError } from '../../src/errors.js';
import { callsArmTool, handleMcpRequest } from '../../src/mcp/handler.js';
import { ARM_TOOLS } from '../../src/mcp/server.js';
import type { ArmAccessToken } from '../../src/obo/obo-client.js';
import { armClientFor } from '../../src/runtime.js';
import { USER } from '../helpers/tool-server.js';
import type { Runtime } from '../../src/runtime.js';
import type { Logger } from '../../src/util/log.js';

const settings = loadSettings({
  ENTRA_TENANT_ID: '11111111-2222-3333-4444-555555555555',
  ENTRA_CLIENT_ID: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
  OBO_CREDENTIAL: 'secret',
  OBO_CLIENT_SECRET: 'x',
  // Nothing listens here: a test that reached ARM would fail loudly.
  ARM_ENDPOINT: 'https://127.0.0.1:1',
  UPSTREAM_TIMEOUT_MS: '500',
});
const MCP_URL = 'https://app.example.test/mcp';
const CLAIMS = '{"access_token":{"acrs":{"essential":true,"value":"c1"}}}';
const logs: string[] = [];
const logger: Logger = { info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) };

/** A runtime whose OBO client answers with `answers` in turn (an Error is thrown). */
function runtime(answers: (ArmAccessToken | Error)[]): { runtime: Runtime; oboCalls: () => number } {
  let calls = 0;
  const obo = {
    getArmToken: () => {
      const answer = answers[Math.min(calls++, answers.length - 1)];
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer!);
    },
    evict: () => undefined,
  };
  const verifier = { verify: () => Promise.resolve(USER), isCached: () => false };
  const armClient: Runtime['armClient'] = (user, token) => armClientFor(settings, obo, user, token);
  return { runtime: { settings, verifier, obo, armClient } as unknown as Runtime, oboCalls: () => calls };
}

function call(name: string, id = 1): Record<string, unknown> {
  return { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {} } };
}

function post(body: unknown): Request {
  return new Request(MCP_URL, {
    method: 'POST',
    headers: {
      Authorization: 'Bearer header.payload.signature',
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify(body),
  });
}

const TOKEN: ArmAccessToken = { token: 'arm-token', expiresOnTimestamp: Date.now() + 3600_000 };

describe('callsArmTool', () => {
  it('finds an ARM tool call alone', () => {
    assert.equal(callsArmTool(call('get_subscriptions')), true);
  });

  it('finds an ARM tool call in a batch', () => {
    assert.equal(callsArmTool([call('get_user_info'), call('list_resources', 2)]), true);
  });

  for (const message of [
    call('get_user_info'),
    { jsonrpc: '2.0', id: 1, method: 'tools/list' },
    { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 42 } },
    { jsonrpc: '2.0', id: 1, method: 'tools/call', params: null },
    null,
    'get_subscriptions',
    [null, 1],
  ]) {
    it(`ignores ${JSON.stringify(message)}`, () => {
      assert.equal(callsArmTool(message), false);
    });
  }
});

describe('handleMcpRequest and On-Behalf-Of', () => {
  it('ARM_TOOLS lists exactly the open-world (ARM) tools', async () => {
    const { runtime: rt } = runtime([TOKEN]);
    const res = await handleMcpRequest(post({ jsonrpc: '2.0', id: 1, method: 'tools/list' }), rt, logger);
    const { result } = (await res.json()) as {
      result: { tools: { name: string; annotations?: { openWorldHint?: boolean } }[] };
    };
    const openWorld = result.tools.filter((t) => t.annotations?.openWorldHint).map((t) => t.name);
    assert.deepEqual(openWorld.sort(), [...ARM_TOOLS].sort());
  });

  it('step-up claims → 401 insufficient_claims before any MCP answer', async () => {
    const { runtime: rt } = runtime([new OboError('interaction_required', 'm', { claims: CLAIMS })]);
    const res = await handleMcpRequest(post(call('get_subscriptions')), rt, logger);
    assert.equal(res.status, 401);
    assert.equal(
      res.headers.get('www-authenticate'),
      `Bearer error="insufficient_claims", error_description="Azure Resource Manager requires a stronger sign-in (MFA or Conditional Access); sign in again with the claims of this challenge.", claims="${Buffer.from(CLAIMS).toString('base64')}", authorization_uri="https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/oauth2/v2.0/authorize", resource_metadata="https://app.example.test/.well-known/oauth-protected-resource/mcp", scope="api://aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee/execute"`,
    );
    assert.equal(((await res.json()) as { error: string }).error, 'insufficient_claims');
  });

  it('step-up claims in a batch with other calls → 401 for the whole request', async () => {
    const { runtime: rt } = runtime([new OboError('invalid_grant', 'm', { claims: CLAIMS })]);
    const res = await handleMcpRequest(post([call('get_user_info'), call('list_resources', 2)]), rt, logger);
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /error="insufficient_claims"/);
  });

  it('invalid_grant without claims → 401 invalid_token', async () => {
    const { runtime: rt } = runtime([new OboError('invalid_grant', 'm', { aadsts: 50173 })]);
    const res = await handleMcpRequest(post(call('get_subscriptions')), rt, logger);
    assert.equal(res.status, 401);
    const challenge = res.headers.get('www-authenticate') ?? '';
    assert.match(
      challenge,
      /^Bearer error="invalid_token", error_description="[^"]+", resource_metadata="[^"]+", scope="[^"]+"$/,
    );
  });

  it('consent_required stays a tool error, and the one failed exchange is not repeated', async () => {
    const { runtime: rt, oboCalls } = runtime([
      new OboError('consent_required', 'Admin consent is missing.'),
    ]);
    const res = await handleMcpRequest(post(call('get_subscriptions')), rt, logger);
    assert.equal(res.status, 200);
    const { result } = (await res.json()) as { result: { isError: boolean; content: { text: string }[] } };
    assert.equal(result.isError, true);
    assert.match(result.content[0]!.text, /\[consent_required\]/);
    assert.equal(oboCalls(), 1);
  });

  it('obo_throttled is a tool error carrying the retry hint', async () => {
    const throttled = new OboError('obo_throttled', 'Entra ID is throttling; retry in 7 seconds.', {
      retryAfterSec: 7,
    });
    const { runtime: rt } = runtime([throttled]);
    const res = await handleMcpRequest(post(call('get_subscriptions')), rt, logger);
    assert.equal(res.status, 200);
    const { result } = (await res.json()) as { result: { isError: boolean; content: { text: string }[] } };
    assert.equal(result.isError, true);
    assert.match(result.content[0]!.text, /retry in 7 seconds\. \[obo_throttled\]/);
  });

  it('a new sign-in needed later in the request (fresh exchange) → 401, not a tool error', async () => {
    // The pre-flight's token serves the first tool call; the second looks its token up afresh.
    const { runtime: rt, oboCalls } = runtime([TOKEN, new OboError('invalid_grant', 'm')]);
    const res = await handleMcpRequest(
      post([call('get_subscriptions'), call('get_subscriptions', 2)]),
      rt,
      logger,
    );
    assert.equal(oboCalls(), 2);
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token"/);
  });

  it('a tool call looks its ARM token up once: the pre-flight token serves the ARM client', async () => {
    const { runtime: rt, oboCalls } = runtime([TOKEN]);
    await handleMcpRequest(post(call('get_subscriptions')), rt, logger);
    assert.equal(oboCalls(), 1);
  });

  it('no exchange for requests without an ARM tool call', async () => {
    const { runtime: rt, oboCalls } = runtime([new OboError('invalid_grant', 'm')]);
    const res = await handleMcpRequest(post(call('get_user_info')), rt, logger);
    assert.equal(res.status, 200);
    assert.equal(oboCalls(), 0);
  });
});
