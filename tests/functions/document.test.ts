// Public documents (the metadata routes): HEAD like GET without a body, the CORS preflight and CORS headers as
// the platform's CORS answers them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import functions from '@azure/functions';
import type { HttpResponseInit } from '@azure/functions';
import { DOCUMENT_METHODS, documentFunction } from '../../src/functions/document.js';
import { useAppEnv } from '../helpers/app-env.js';

const { HttpRequest, InvocationContext } = functions;

useAppEnv({ MCP_ALLOWED_ORIGINS: 'https://app.example.com' });

const fn = documentFunction('doc', 'doc', () =>
  Promise.resolve({ status: 200, jsonBody: { a: 1 }, headers: { 'Cache-Control': 'public, max-age=60' } }),
);

function call(method: string, headers: Record<string, string> = {}): Promise<HttpResponseInit> {
  const request = new HttpRequest({ method, url: 'http://localhost/doc', headers });
  return fn.options.handler(request, new InvocationContext()) as Promise<HttpResponseInit>;
}

describe('documentFunction', () => {
  it('routes GET, HEAD and OPTIONS anonymously', () => {
    assert.deepEqual(fn.options.methods, [...DOCUMENT_METHODS]);
    assert.equal(fn.options.authLevel, 'anonymous');
    assert.equal(fn.options.route, 'doc');
  });

  it('GET: the document, readable from any origin (*)', async () => {
    const res = await call('GET', { origin: 'https://other.example' });
    assert.deepEqual(res.jsonBody, { a: 1 });
    assert.deepEqual(res.headers, {
      'access-control-allow-origin': '*',
      'cache-control': 'public, max-age=60',
    });
  });

  it('GET from an allowed origin: that origin, as the platform answers it, and Vary', async () => {
    const res = await call('GET', { origin: 'https://app.example.com' });
    assert.equal(
      (res.headers as Record<string, string>)['access-control-allow-origin'],
      'https://app.example.com',
    );
    assert.equal((res.headers as Record<string, string>).vary, 'Origin');
  });

  it("HEAD: GET's status and headers (the JSON content type too), no body", async () => {
    const res = await call('HEAD');
    assert.equal(res.status, 200);
    assert.equal(res.jsonBody, undefined);
    assert.equal(res.body, undefined);
    assert.equal((res.headers as Record<string, string>)['content-type'], 'application/json');
    assert.equal((res.headers as Record<string, string>)['cache-control'], 'public, max-age=60');
  });

  it('OPTIONS from an allowed origin: 204 echoing the requested method and headers, no max age', async () => {
    const res = await call('OPTIONS', {
      origin: 'https://app.example.com',
      'access-control-request-method': 'GET',
      'access-control-request-headers': 'mcp-protocol-version, x-custom',
    });
    assert.equal(res.status, 204);
    assert.deepEqual(res.headers, {
      'Access-Control-Allow-Origin': 'https://app.example.com',
      'Access-Control-Allow-Methods': 'GET',
      'Access-Control-Allow-Headers': 'mcp-protocol-version, x-custom',
      Vary: 'Origin',
    });
  });

  it('OPTIONS from another origin: 403 origin_not_allowed', async () => {
    const res = await call('OPTIONS', {
      origin: 'https://evil.example',
      'access-control-request-method': 'GET',
    });
    assert.equal(res.status, 403);
    assert.equal((res.jsonBody as { error: string }).error, 'origin_not_allowed');
  });
});
