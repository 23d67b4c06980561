import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { DeviceCodeRefusedError, EntraRecorder } from '../../cli/entra-network.js';

async function entra(status: number, body: unknown): Promise<{ base: string; close: () => void }> {
  const server = createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

const REFUSED = {
  error: 'invalid_client',
  error_codes: [7000218, 'x'],
  error_description: 'AADSTS7000218: The request body must contain client_assertion.\r\n Trace ID: abc',
};

describe('EntraRecorder', () => {
  it('records an Entra error answer without its trace id', async (t) => {
    const server = await entra(400, REFUSED);
    t.after(server.close);
    const recorder = new EntraRecorder();
    const response = await recorder.client.sendPostRequestAsync(`${server.base}/t/oauth2/v2.0/token`, {
      body: '',
    });
    assert.equal(response.status, 400);
    assert.deepEqual(recorder.lastError, {
      error: 'invalid_client',
      codes: [7000218],
      description: 'AADSTS7000218: The request body must contain client_assertion.',
      endpoint: '/t/oauth2/v2.0/token',
    });
    recorder.reset();
    assert.equal(recorder.lastError, undefined);
  });

  it('stops MSAL when the device code endpoint refuses', async (t) => {
    const server = await entra(400, REFUSED);
    t.after(server.close);
    const recorder = new EntraRecorder();
    await assert.rejects(
      recorder.client.sendPostRequestAsync(`${server.base}/t/oauth2/v2.0/devicecode`, { body: '' }),
      (error: unknown) => error instanceof DeviceCodeRefusedError && error.info.codes[0] === 7000218,
    );
  });

  it('does not record authorization_pending (device code polling)', async (t) => {
    const server = await entra(400, { error: 'authorization_pending' });
    t.after(server.close);
    const recorder = new EntraRecorder();
    await recorder.client.sendPostRequestAsync(`${server.base}/t/oauth2/v2.0/token`, { body: '' });
    assert.equal(recorder.lastError, undefined);
  });

  it('records a connection failure with the origin', async () => {
    const server = await entra(200, {});
    server.close();
    const recorder = new EntraRecorder();
    await assert.rejects(recorder.client.sendGetRequestAsync(`${server.base}/t/v2.0/.well-known/x`));
    assert.equal(recorder.lastNetworkFailure, `ECONNREFUSED (${server.base})`);
  });
});
