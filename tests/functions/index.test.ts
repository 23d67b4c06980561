// The app entry: streaming set up before any registration, each HTTP function registered once, and a bad
// setting logged by name at load while every function answers 500 server_misconfigured.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import functions from '@azure/functions';
import type { HttpFunctionOptions, HttpResponseInit, InvocationContext as Context } from '@azure/functions';
import type { HttpFunctionDefinition } from '../../src/functions/index.js';

// @azure/functions is CommonJS: default import, then destructure.
const { HttpRequest, InvocationContext } = functions;

const calls: string[] = [];
const registered = new Map<string, HttpFunctionOptions>();
const startErrors: string[] = [];
let httpFunctions: HttpFunctionDefinition[];

before(async () => {
  Object.defineProperty(functions.app, 'setup', {
    configurable: true,
    value: () => calls.push('setup'),
  });
  Object.defineProperty(functions.app, 'http', {
    configurable: true,
    value: (name: string, options: HttpFunctionOptions) => {
      calls.push(`http ${name}`);
      registered.set(name, options);
    },
  });
  // No settings at all: the worker must load the app anyway and say what is missing.
  for (const name of Object.keys(process.env)) {
    if (/^(ENTRA_|OBO_|KEY_VAULT_|MCP_|ARM_|MANAGED_IDENTITY_)/.test(name)) delete process.env[name];
  }
  const consoleError = console.error;
  console.error = (...args: unknown[]) => startErrors.push(args.join(' '));
  try {
    ({ httpFunctions } = await import('../../src/functions/index.js'));
  } finally {
    console.error = consoleError;
  }
});

function ctx(lines: string[] = []): Context {
  return new InvocationContext({ invocationId: 'inv-7', logHandler: (_l, ...a) => lines.push(a.join(' ')) });
}

async function invoke(
  name: string,
  method: string,
  path: string,
  lines: string[] = [],
): Promise<HttpResponseInit> {
  const options = registered.get(name);
  assert.ok(options, `${name} registered`);
  const answer = await options.handler(
    new HttpRequest({ method, url: `http://localhost:7071/${path}` }),
    ctx(lines),
  );
  return answer;
}

describe('functions/index', () => {
  it('sets up HTTP streaming before registering any function', () => {
    assert.equal(calls[0], 'setup');
    assert.equal(calls.filter((c) => c === 'setup').length, 1);
  });

  it('registers every function of httpFunctions once, with its options', () => {
    assert.deepEqual(
      calls.slice(1),
      httpFunctions.map((f) => `http ${f.name}`),
    );
    for (const { name, options } of httpFunctions) assert.equal(registered.get(name), options, name);
  });

  it('lists the /mcp function, both metadata functions and the OAuth proxy functions', () => {
    assert.deepEqual(
      httpFunctions.map((f) => [f.name, f.options.route]),
      [
        ['mcp', 'mcp'],
        ['protectedResourceMetadata', '.well-known/oauth-protected-resource'],
        ['protectedResourceMetadataMcp', '.well-known/oauth-protected-resource/mcp'],
        ['oauthAuthorizationServerMetadata', '.well-known/oauth-authorization-server'],
        ['oauthRegister', 'oauth/register'],
        ['oauthAuthorize', 'oauth/authorize'],
        ['oauthConsent', 'oauth/consent'],
        ['oauthCallback', 'oauth/callback'],
        ['oauthToken', 'oauth/token'],
      ],
    );
  });

  it('loads with missing settings and logs the first one by name', () => {
    assert.equal(startErrors.length, 1);
    assert.match(startErrors[0] ?? '', /^azure-obo-mcp: .*ENTRA_TENANT_ID/);
  });
});

describe('with a bad setting every function answers 500 server_misconfigured', () => {
  const cases: [string, string, string][] = [
    ['mcp', 'POST', 'mcp'],
    ['protectedResourceMetadata', 'GET', '.well-known/oauth-protected-resource'],
    ['protectedResourceMetadataMcp', 'GET', '.well-known/oauth-protected-resource/mcp'],
    ['oauthAuthorizationServerMetadata', 'GET', '.well-known/oauth-authorization-server'],
    ['oauthToken', 'POST', 'oauth/token'],
  ];
  for (const [name, method, path] of cases) {
    it(`${name}: no stack, an invocation id to quote, the setting named in the log`, async () => {
      const lines: string[] = [];
      const response = await invoke(name, method, path, lines);
      assert.equal(response.status, 500);
      const body = response.jsonBody as { error: string; error_description: string };
      assert.equal(body.error, 'server_misconfigured');
      assert.match(body.error_description, /invocation inv-7/);
      assert.ok(!body.error_description.includes('ENTRA_TENANT_ID'));
      assert.ok(
        lines.some((l) => l.includes('ENTRA_TENANT_ID') && l.includes('inv-7')),
        lines.join('\n'),
      );
    });
  }
});
