// Which server may receive a token for which scope (cli/server-tie.ts); the end-to-end refusal is in
// cli-errors.test.ts and in the security battery.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExitCode } from '../../cli/exit-codes.js';
import { serverTie, untiedServerError } from '../../cli/server-tie.js';

const API = '3f2e1d0c-9b8a-4765-8432-10fedcba9876';
const SERVER = 'https://mcp.contoso.example/mcp';

describe('serverTie', () => {
  it('a scope under the server own URL is tied by that URL, as before', () => {
    assert.equal(serverTie({ scope: `${SERVER}/execute`, source: 'metadata' }, SERVER, []), 'own_url');
    assert.equal(serverTie({ scope: `${SERVER}/execute`, source: 'challenge' }, `${SERVER}/`, []), 'own_url');
  });

  it('an api:// or default scope is tied only by ENTRA_API_SERVER_URLS naming the server, or by --scope', () => {
    for (const source of ['metadata', 'challenge', 'fallback'] as const) {
      const discovery = { scope: `api://${API}/execute`, source };
      assert.equal(serverTie(discovery, SERVER, []), undefined, source);
      assert.equal(serverTie(discovery, SERVER, ['https://other.example/mcp']), undefined, source);
      assert.equal(serverTie(discovery, SERVER, ['https://mcp.contoso.example/mcpx']), undefined, source);
      assert.equal(serverTie(discovery, SERVER, [`${SERVER}/`, 'https://other.example/mcp']), 'setting');
    }
    assert.equal(serverTie({ scope: `api://${API}/execute`, source: 'flag' }, SERVER, []), 'flag');
  });

  it('the refusal explains the risk and names the setting and the flag (exit 2)', () => {
    const error = untiedServerError(
      { scope: `api://${API}/execute`, source: 'fallback' },
      { server: SERVER, apiClientId: API },
    );
    assert.equal(error.exitCode, ExitCode.usage);
    assert.match(error.message, /look-alike server could replay it against the real one/);
    assert.match(error.fix ?? '', /ENTRA_API_SERVER_URLS/);
    assert.ok(error.fix?.includes(`--scope api://${API}/execute`), error.fix);
  });
});
