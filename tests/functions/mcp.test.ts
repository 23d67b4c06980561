// The `/mcp` HTTP trigger: Functions request in, the handler's answer out, logs to the invocation.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import functions from '@azure/functions';
import type { HttpResponseInit, InvocationContext as Context } from '@azure/functions';
import { mcpFunction, mcpHandler } from '../../src/functions/mcp.js';
import { useAppEnv } from '../helpers/app-env.js';

// @azure/functions is CommonJS: default import, then destructure.
const { HttpRequest, InvocationContext } = functions;

useAppEnv();
delete process.env.MCP_PUBLIC_URL;

const URL_ = 'http://localhost:7071/mcp';

function context(lines: string[]): Context {
  return new InvocationContext({
    invocationId: 'inv-1',
    functionName: 'mcp',
    logHandler: (level, ...args) => lines.push(`${level}: ${args.join(' ')}`),
  });
}

async function invoke(init: ConstructorParameters<typeof HttpRequest>[0], lines: string[] = []) {
  return mcpHandler(new HttpRequest({ url: URL_, ...init }), context(lines));
}

function json(response: HttpResponseInit): Record<string, unknown> {
  assert.ok(response.body instanceof Uint8Array, 'a byte body');
  return JSON.parse(Buffer.from(response.body).toString()) as Record<string, unknown>;
}

const headers = (response: HttpResponseInit) => response.headers as Record<string, string>;

describe('mcpFunction', () => {
  it('is the anonymous /mcp route: the bearer token is the authentication', () => {
    assert.equal(mcpFunction.name, 'mcp');
    assert.equal(mcpFunction.options.route, 'mcp');
    assert.equal(mcpFunction.options.authLevel, 'anonymous');
    assert.equal(mcpFunction.options.handler, mcpHandler);
  });

  it('takes POST, and GET, DELETE and OPTIONS so the handler can answer them', () => {
    assert.deepEqual(mcpFunction.options.methods, ['POST', 'GET', 'DELETE', 'OPTIONS']);
  });
});

describe('mcpHandler', () => {
  it('answers a POST without a token with the 401 challenge for this host', async () => {
    const response = await invoke({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: { string: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' },
    });
    assert.equal(response.status, 401);
    assert.match(
      headers(response)['www-authenticate'] ?? '',
      /resource_metadata="http:\/\/localhost:7071\/\.well-known\/oauth-protected-resource\/mcp"/,
    );
  });

  it('passes the JSON body of the answer through as bytes', async () => {
    const response = await invoke({ method: 'GET' });
    assert.equal(response.status, 405);
    assert.equal(headers(response).allow, 'POST');
    assert.equal((json(response).error as { message: string }).message.includes('POST only'), true);
  });

  it('logs to the invocation, never the token', async () => {
    const lines: string[] = [];
    await invoke(
      {
        method: 'POST',
        headers: { authorization: 'Bearer not-a-jwt-secret-value', 'content-type': 'application/json' },
        body: { string: '{}' },
      },
      lines,
    );
    assert.ok(
      lines.some((l) => l.startsWith('warning: mcp: rejected request:')),
      lines.join('\n'),
    );
    assert.ok(!lines.join('\n').includes('not-a-jwt-secret-value'));
  });
});
