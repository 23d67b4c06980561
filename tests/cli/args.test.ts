import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SERVER, MAX_TIMEOUT_MS, TOOLS, USAGE, parseCliArgs } from '../../cli/args.js';
import { ClientError, ExitCode } from '../../cli/exit-codes.js';
import { toolHarness } from '../helpers/tool-server.js';

const CLIENT = '3f2e1d0c-9b8a-4765-8432-10fedcba9876';

function usage(fn: () => unknown): ClientError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ClientError);
    assert.equal(error.exitCode, ExitCode.usage);
    return error;
  }
  throw new Error('expected a usage error');
}

describe('parseCliArgs', () => {
  it('defaults, environment and flags', () => {
    const o = parseCliArgs([], { ENTRA_CLIENT_ID: CLIENT, ENTRA_TENANT_ID: 'contoso.onmicrosoft.com' });
    assert.equal(o.command, 'run');
    assert.equal(o.server, DEFAULT_SERVER);
    assert.equal(o.clientId, CLIENT);
    assert.equal(o.tenantId, 'contoso.onmicrosoft.com');
    assert.equal(o.authorityHost, 'https://login.microsoftonline.com');
    assert.equal(o.yes, false);
    const f = parseCliArgs(
      [
        '--client-id',
        'abcdef01-2345-4678-89ab-cdef01234567',
        '--tenant-id',
        't',
        '--authority-host',
        'https://login.example/',
        '-y',
        '--json',
        '--server',
        'https://h/mcp',
        '--timeout',
        '2.5',
      ],
      { ENTRA_CLIENT_ID: CLIENT },
    );
    assert.deepEqual(
      [f.clientId, f.tenantId, f.authorityHost, f.yes, f.json, f.server, f.timeoutMs],
      [
        'abcdef01-2345-4678-89ab-cdef01234567',
        't',
        'https://login.example',
        true,
        true,
        'https://h/mcp',
        2500,
      ],
    );
  });

  it('--client-id, else ENTRA_CLI_CLIENT_ID, else ENTRA_CLIENT_ID signs in; the API stays ENTRA_CLIENT_ID', () => {
    const CLI = '11111111-2222-4333-8444-555555555555';
    const single = parseCliArgs([], { ENTRA_CLIENT_ID: CLIENT });
    assert.deepEqual([single.clientId, single.apiClientId], [CLIENT, CLIENT]);
    const split = parseCliArgs([], { ENTRA_CLIENT_ID: CLIENT, ENTRA_CLI_CLIENT_ID: CLI });
    assert.deepEqual([split.clientId, split.apiClientId], [CLI, CLIENT]);
    const F = 'ffffffff-2222-4333-8444-555555555555';
    const flag = parseCliArgs(['--client-id', F], { ENTRA_CLIENT_ID: CLIENT, ENTRA_CLI_CLIENT_ID: CLI });
    assert.deepEqual([flag.clientId, flag.apiClientId], [F, CLIENT]);
    const flagOnly = parseCliArgs(['--client-id', F], {});
    assert.deepEqual([flagOnly.clientId, flagOnly.apiClientId], [F, F]);
  });

  it('a client id that is no GUID is a usage error naming where it came from', () => {
    assert.match(
      usage(() => parseCliArgs(['--client-id', 'abc'], {})).message,
      /^--client-id must be an application \(client\) id, a GUID such as [0-9a-f-]{36}: abc$/,
    );
    assert.match(
      usage(() => parseCliArgs([], { ENTRA_CLI_CLIENT_ID: 'my-app' })).message,
      /^ENTRA_CLI_CLIENT_ID must be/,
    );
    assert.match(
      usage(() => parseCliArgs(['call', 'x'], { ENTRA_CLIENT_ID: 'x' })).message,
      /^ENTRA_CLIENT_ID must be/,
    );
    // Commands that do not sign in do not read it.
    assert.equal(parseCliArgs(['logout'], { ENTRA_CLIENT_ID: 'x' }).command, 'logout');
  });

  it('an unknown option: one sentence with balanced quotes', () => {
    assert.equal(usage(() => parseCliArgs(['--bogus'], {})).message, "Unknown option '--bogus'.");
  });

  it('--help lists every tool with its arguments as JSON', () => {
    for (const tool of TOOLS) assert.match(USAGE, new RegExp(`^ {2}${tool.name} +\\S`, 'm'));
    assert.match(
      USAGE,
      /'\{"subscriptionId":"<subscription guid>","resourceGroup":"<resource group name>"\}' \(optional: resourceGroup\)/,
    );
  });

  it('--help describes the tools the server has, with the same arguments', async () => {
    const server = await toolHarness({});
    try {
      const { tools } = await server.client.listTools();
      assert.deepEqual(
        tools.map((t) => ({
          name: t.name,
          args: Object.keys(t.inputSchema.properties ?? {}).map((name) => ({
            name,
            required: (t.inputSchema.required ?? []).includes(name),
          })),
        })),
        TOOLS.map((t) => ({ name: t.name, args: t.args.map(({ name, required }) => ({ name, required })) })),
      );
    } finally {
      await server.close();
    }
  });

  it('--auth device (default) or browser; doctor takes --server, --json and plain http anywhere', () => {
    assert.equal(parseCliArgs([], {}).auth, 'device');
    assert.equal(parseCliArgs(['--auth', 'browser'], {}).auth, 'browser');
    assert.match(
      usage(() => parseCliArgs(['--auth', 'popup'], {})).message,
      /--auth must be device or browser/,
    );
    const d = parseCliArgs(['doctor', '--server', 'http://mcp.example.com/mcp', '--json'], {});
    assert.deepEqual([d.command, d.server, d.json], ['doctor', 'http://mcp.example.com/mcp', true]);
    usage(() => parseCliArgs(['doctor', 'extra'], {}));
    usage(() => parseCliArgs(['doctor', '--server', 'ftp://x/mcp'], {}));
  });

  it('call <tool> <json>, --tool/--args, logout, help', () => {
    const c = parseCliArgs(['call', 'list_resource_groups', '{"subscriptionId":"s"}'], {});
    assert.deepEqual(
      [c.command, c.tool, c.toolArgs],
      ['call', 'list_resource_groups', { subscriptionId: 's' }],
    );
    const t = parseCliArgs(['--tool', 'get_subscriptions'], {});
    assert.deepEqual([t.command, t.tool, t.toolArgs], ['call', 'get_subscriptions', {}]);
    assert.equal(parseCliArgs(['logout'], {}).command, 'logout');
    assert.equal(parseCliArgs(['-h'], {}).command, 'help');
  });

  for (const [why, argv] of [
    ['an unknown flag', ['--nope']],
    ['an unknown command', ['frobnicate']],
    ['call without a tool', ['call']],
    ['call with non-object JSON', ['call', 't', '[1]']],
    ['--args without --tool', ['--args', '{}']],
    ['a server that is not http(s)', ['--server', 'ftp://x/mcp']],
    ['a plain http authority host', ['--authority-host', 'http://login.example']],
    ['--timeout 0', ['--timeout', '0']],
  ] as const)
    it(`rejects ${why}`, () => {
      usage(() => parseCliArgs([...argv], {}));
    });

  it('rejects call arguments that are not JSON, saying so', () => {
    assert.match(usage(() => parseCliArgs(['call', 't', '{x'], {})).message, /not valid JSON/);
  });

  it('--timeout takes 1 ms and 2^31-1 ms', () => {
    assert.equal(parseCliArgs(['--timeout', '0.001'], {}).timeoutMs, 1);
    assert.equal(parseCliArgs(['--timeout', String(MAX_TIMEOUT_MS / 1000)], {}).timeoutMs, MAX_TIMEOUT_MS);
  });

  for (const bad of [
    '0.0001',
    '-1',
    '',
    ' ',
    'abc',
    'Infinity',
    '1e9',
    String(MAX_TIMEOUT_MS / 1000 + 0.001),
  ])
    it(`--timeout=${JSON.stringify(bad)} is outside 1 ms to 2^31-1 ms`, () => {
      assert.match(usage(() => parseCliArgs([`--timeout=${bad}`], {})).message, /--timeout must be/);
    });

  for (const server of ['http://localhost:7071/mcp', 'http://127.0.0.1:1/mcp', 'http://[::1]:7071/mcp'])
    it(`takes loopback http ${server}`, () => {
      assert.equal(parseCliArgs(['--server', server], {}).server, server);
    });

  it('refuses plain http to another machine unless --insecure', () => {
    const e = usage(() => parseCliArgs(['--server', 'http://mcp.example.com/mcp'], {}));
    assert.match(e.message, /plain http/);
    assert.match(e.fix ?? '', /--insecure/);
    usage(() => parseCliArgs(['call', 'x', '--server', 'http://10.0.0.5/mcp'], {}));
    const o = parseCliArgs(['--server', 'http://mcp.example.com/mcp', '--insecure'], {});
    assert.deepEqual([o.server, o.insecure], ['http://mcp.example.com/mcp', true]);
    assert.equal(parseCliArgs(['--server', 'https://mcp.example.com/mcp'], {}).insecure, false);
    assert.equal(parseCliArgs(['logout', '--server', 'http://mcp.example.com/mcp'], {}).command, 'logout');
  });
});
