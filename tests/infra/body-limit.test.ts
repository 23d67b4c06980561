// The two request-body limits as infra sets them, under a host that enforces its own as the Functions host does
// (the dev host with FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: over it, 500 with an empty body and Connection: close
// before the function runs). The host's limit must sit above MCP_MAX_BODY_BYTES, or no client ever gets our 413.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEmulator } from '../../emulator/index.js';
import type { Emulator } from '../../emulator/index.js';
import { rawExchange, requestHead } from '../dev-host/raw-http.js';
import { startDevHost } from '../helpers/dev-host.js';
import type { DevHost } from '../helpers/dev-host.js';
import { compileMain } from './compiled.js';

type Json = Record<string, unknown>;
interface Template {
  parameters: Record<string, { defaultValue?: unknown }>;
  resources: Record<
    string,
    { properties: { template: { variables: Json; resources: Record<string, Json> } } }
  >;
}

/**
 * Evaluates the few ARM expressions the body limits are written in — string(), mul(), add(), variables() and
 * parameters('server').maxBodyBytes — for a given maxBodyBytes. Any other form fails: the test must be updated with it.
 */
function evaluate(expression: string, variables: Json, maxBodyBytes: number): number {
  const inner = /^\[(.*)\]$/.exec(expression)?.[1] ?? expression;
  const value = (term: string): number => {
    const t = term.trim();
    if (t === "parameters('server').maxBodyBytes") return maxBodyBytes;
    if (/^\d+$/.test(t)) return Number(t);
    let m = /^string\((.*)\)$/.exec(t);
    if (m) return value(m[1]!);
    m = /^variables\('(\w+)'\)$/.exec(t);
    if (m) return evaluate(String(variables[m[1]!]), variables, maxBodyBytes);
    m = /^(mul|add)\(([^,]+),([^,]+)\)$/.exec(t);
    if (m) return m[1] === 'mul' ? value(m[2]!) * value(m[3]!) : value(m[2]!) + value(m[3]!);
    throw new Error(`body-limit test: unexpected expression ${t}`);
  };
  return value(inner);
}

let limits: { app: number; host: number };
let emulator: Emulator;
let token: string;
const hosts: DevHost[] = [];

async function host(app: number, hostLimit: number): Promise<DevHost> {
  const h = await startDevHost({
    ...emulator.env('secret'),
    MCP_MAX_BODY_BYTES: String(app),
    FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: String(hostLimit),
  });
  hosts.push(h);
  return h;
}

/** One authenticated POST /mcp with a body of `size` bytes, by Content-Length or chunked. */
async function post(h: DevHost, size: number, framing: 'length' | 'chunked') {
  const headers = { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` };
  const body = Buffer.alloc(size, ' ');
  const chunks =
    framing === 'length'
      ? [requestHead('POST', '/mcp', size, headers), body]
      : [
          `POST /mcp HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n${Object.entries(headers)
            .map(([k, v]) => `${k}: ${v}\r\n`)
            .join('')}\r\n`,
          `${size.toString(16)}\r\n`,
          body,
          '\r\n0\r\n\r\n',
        ];
  const { answers } = await rawExchange(h.url, chunks, ['POST']);
  assert.equal(answers.length, 1, 'one answer, no reset');
  return answers[0]!;
}

before(async () => {
  const template = compileMain<Template>();
  const functionApp = template.resources.functionApp!.properties.template;
  const settings = (functionApp.resources.appSettings as { properties: Record<string, string> }).properties;
  const maxBodyBytes = Number(template.parameters.maxRequestBodyBytes?.defaultValue);
  limits = {
    app: evaluate(settings.MCP_MAX_BODY_BYTES!, functionApp.variables, maxBodyBytes),
    host: evaluate(settings.FUNCTIONS_REQUEST_BODY_SIZE_LIMIT!, functionApp.variables, maxBodyBytes),
  };
  emulator = await startEmulator();
  token = await emulator.issueUserToken({});
});

after(async () => {
  await Promise.all(hosts.map((h) => h.stop()));
  await emulator?.stop();
});

describe('request-body limits as infra sets them', () => {
  it("the host's limit is above the app's (equal limits would hide every 413 behind the host's 500)", () => {
    assert.equal(limits.app, 1_048_576);
    assert.ok(limits.host > limits.app, `FUNCTIONS_REQUEST_BODY_SIZE_LIMIT ${limits.host} ≤ ${limits.app}`);
  });

  it('a body just over MCP_MAX_BODY_BYTES gets our 413, by Content-Length and chunked', async () => {
    const h = await host(limits.app, limits.host);
    for (const framing of ['length', 'chunked'] as const) {
      const answer = await post(h, limits.app + 1, framing);
      assert.equal(answer.status, 413, framing);
      assert.match(answer.body, /Request body exceeds 1048576 bytes/);
    }
  });

  it("a body over the host's limit gets the host's empty 500", async () => {
    const h = await host(limits.app, limits.host);
    const answer = await post(h, limits.host + 1, 'length');
    assert.deepEqual([answer.status, answer.body, answer.headers.connection], [500, '', 'close']);
  });

  it("with equal limits, as before, the same body gets the host's 500 instead of our 413", async () => {
    const h = await host(limits.app, limits.app);
    for (const framing of ['length', 'chunked'] as const) {
      const answer = await post(h, limits.app + 1, framing);
      assert.deepEqual([answer.status, answer.body], [500, ''], framing);
    }
  });
});
