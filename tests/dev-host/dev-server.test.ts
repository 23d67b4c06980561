import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { HttpHandler, HttpMethod } from '@azure/functions';
import type { HttpFunctionDefinition } from '../../src/functions/index.js';
import { toResponseInit } from '../../src/functions/adapter.js';
import { DRAIN_BYTES, invocationTraceContext, startDevHost, toRoutes } from '../../dev-host/dev-server.js';
import { rawExchange, requestHead } from './raw-http.js';

const echo: HttpFunctionDefinition = {
  name: 'echo',
  options: {
    route: 'echo/path',
    methods: ['POST'],
    authLevel: 'anonymous',
    handler: async (req) => ({
      status: 200,
      jsonBody: { method: req.method, url: req.url, body: await req.text() },
    }),
  },
};
// Reads only the first chunk of the body, then stops (as the MCP handler does at its size limit).
const peek: HttpFunctionDefinition = {
  name: 'peek',
  options: {
    route: 'peek',
    methods: ['POST'],
    authLevel: 'anonymous',
    handler: async (req) => {
      const reader = req.body!.getReader();
      const first = (await reader.read()) as ReadableStreamReadResult<Uint8Array>;
      await reader.cancel();
      return { status: 200, jsonBody: { first: Buffer.from(first.value!.subarray(0, 4)).toString() } };
    },
  },
};
/** A test function at `route` (named after it) for `methods`. */
const fn = (route: string, methods: HttpMethod[], handler: HttpHandler): HttpFunctionDefinition => ({
  name: route,
  options: { route, methods, authLevel: 'anonymous', handler },
});
// Answers with headers in mixed case and framing headers of its own, for GET and HEAD (as a document route does).
const headers = fn('headers', ['GET', 'HEAD'], () =>
  Promise.resolve({
    status: 200,
    headers: { 'WWW-Authenticate': 'Bearer x="y"', 'Keep-Alive': 'timeout=99', 'Content-Length': '999' },
    body: 'headers',
  }),
);
const SET_COOKIES = [
  'a=1; Path=/; HttpOnly',
  'b=two%20words; Max-Age=600; Path=/oauth; Secure; SameSite=Lax',
];
const cookieFunction = (route: string, answer: HttpHandler) => fn(route, ['GET'], answer);
const cookies = [
  // `cookies` of the response: the worker sends every one.
  cookieFunction('cookies/init', () =>
    Promise.resolve({
      status: 302,
      headers: { Location: '/next' },
      cookies: [
        { name: 'a', value: '1', path: '/', httpOnly: true },
        { name: 'b', value: 'two words', maxAge: 600, path: '/oauth', secure: true, sameSite: 'Lax' },
      ],
    }),
  ),
  // Two Set-Cookie headers: the worker sets headers one entry at a time, so only the last survives.
  cookieFunction('cookies/headers', () => {
    const h = new Headers();
    for (const c of SET_COOKIES) h.append('Set-Cookie', c);
    return Promise.resolve({ status: 200, headers: h });
  }),
  // A web Response through the app's adapter: its Set-Cookie headers become `cookies`.
  cookieFunction('cookies/adapter', () => {
    const h = new Headers({ Location: '/next' });
    for (const c of SET_COOKIES) h.append('Set-Cookie', c);
    return toResponseInit(new Response(null, { status: 302, headers: h }));
  }),
];
// A form post answered with HTML, as an OAuth endpoint does.
const form = fn('oauth/form', ['GET', 'POST'], async (req) => {
  const fields = req.method === 'POST' ? await req.formData() : new URLSearchParams(req.query);
  const field = (name: string) => fields.get(name) as string | null;
  return {
    status: 200,
    headers: { 'Content-Type': 'text/html; charset=utf-8' },
    body: `<p>${field('code')}/${field('state')}</p>`,
  };
});
const throws = fn('throws', ['GET'], () => Promise.reject(new Error('boom')));
let server: Server;
let url: string;

function raw(path: string, method = 'POST', host?: string): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method, headers: host ? { host } : {} }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

before(async () => {
  ({ server, url } = await startDevHost({
    port: 0,
    functions: [echo, peek, headers, form, throws, ...cookies],
  }));
});
after(() => server.close());

describe('dev host', () => {
  it('maps routes like the Functions host with routePrefix ""', () => {
    assert.deepEqual(
      toRoutes([echo]).map(({ path, methods }) => ({ path, methods })),
      [{ path: '/echo/path', methods: ['POST'] }],
    );
  });

  it('calls the handler with the request and body', async () => {
    const res = await fetch(`${url}/echo/path?x=1`, { method: 'POST', body: 'hello' });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { method: string; url: string; body: string };
    assert.equal(body.method, 'POST');
    assert.equal(body.body, 'hello');
    assert.equal(new URL(body.url).pathname, '/echo/path');
  });

  it("the host's empty 404 for unknown routes and unlisted methods, 400 for non-origin-form targets", async () => {
    for (const [path, method] of [
      ['/nope', 'POST'],
      ['/echo/path', 'GET'],
      ['/echo/path', 'HEAD'],
      ['/echo/path', 'PUT'],
    ] as const) {
      const res = await fetch(`${url}${path}`, { method });
      assert.equal(res.status, 404, `${method} ${path}`);
      assert.equal(await res.text(), '');
      assert.equal(res.headers.get('content-type'), null);
      assert.equal(res.headers.get('x-ms-invocation-id'), null, 'no function ran');
    }
    assert.equal(await raw('//evil.example/echo/path'), 400);
    assert.equal(await raw('/echo/path', 'POST', 'bad host with spaces'), 400);
  });

  it('answers like the host: chunked, no Keep-Alive, header names as the worker sends them, an invocation id', async () => {
    const { answers } = await rawExchange(
      url,
      ['GET /headers HTTP/1.1\r\nHost: localhost\r\n\r\n'],
      ['GET'],
      {
        waitMs: 2_000,
      },
    );
    const [answer] = answers;
    assert.equal(answer?.body, 'headers');
    assert.equal(answer.headers['transfer-encoding'], 'chunked');
    assert.equal(
      answer.headers['content-length'],
      undefined,
      "the function's Content-Length is not the framing",
    );
    assert.equal(answer.headers['keep-alive'], undefined);
    assert.equal(answer.headers.connection, undefined, 'persistent without saying so, as HTTP/1.1 allows');
    assert.match(answer.headers['x-ms-invocation-id'] ?? '', /^[0-9a-f-]{36}$/);
    const res = await fetch(`${url}/headers`);
    await res.text();
    assert.equal(res.headers.get('www-authenticate'), 'Bearer x="y"');
  });

  it('HEAD: the status and headers of GET, no body', async () => {
    const { answers } = await rawExchange(
      url,
      [
        'HEAD /headers HTTP/1.1\r\nHost: localhost\r\n\r\n',
        'GET /headers HTTP/1.1\r\nHost: localhost\r\n\r\n',
      ],
      ['HEAD', 'GET'],
      { waitMs: 2_000 },
    );
    assert.deepEqual(
      answers.map((a) => [a.status, a.body, a.headers['www-authenticate']]),
      [
        [200, '', 'Bearer x="y"'],
        [200, 'headers', 'Bearer x="y"'],
      ],
      'the HEAD answer carried no body: the next answer parsed in step',
    );
  });

  it('Set-Cookie: every cookie of `cookies` and of the adapter arrives; of two headers only the last', async () => {
    const setCookies = async (path: string) => {
      const res = await fetch(`${url}${path}`, { redirect: 'manual' });
      await res.text();
      return res.headers.getSetCookie();
    };
    const expected = [
      'a=1; Path=/; HttpOnly',
      'b=two%20words; Max-Age=600; Path=/oauth; Secure; SameSite=Lax',
    ];
    assert.deepEqual(await setCookies('/cookies/init'), expected);
    assert.deepEqual(await setCookies('/cookies/adapter'), expected);
    assert.deepEqual(
      await setCookies('/cookies/headers'),
      [SET_COOKIES[1]],
      'as the worker does: last one wins',
    );
    const redirect = await fetch(`${url}/cookies/adapter`, { redirect: 'manual' });
    assert.equal(redirect.status, 302);
    assert.equal(redirect.headers.get('location'), '/next');
  });

  it('a form post (application/x-www-form-urlencoded) and a query string reach the function; HTML comes back', async () => {
    const posted = await fetch(`${url}/oauth/form`, {
      method: 'POST',
      body: new URLSearchParams({ code: 'c1', state: 's1' }),
    });
    assert.equal(posted.status, 200);
    assert.equal(posted.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(await posted.text(), '<p>c1/s1</p>');
    const got = await fetch(`${url}/oauth/form?code=c2&state=s2`);
    assert.equal(await got.text(), '<p>c2/s2</p>');
  });

  it("a function that throws: the host's empty 500", async () => {
    const res = await fetch(`${url}/throws`);
    assert.equal(res.status, 500);
    assert.equal(await res.text(), '');
  });

  it('streams the body to the handler; a handler that stops reading leaves the connection usable', async () => {
    const body = (fill: string) => Buffer.alloc(DRAIN_BYTES / 2, fill);
    const { answers, ending } = await rawExchange(
      url,
      [
        requestHead('POST', '/peek', DRAIN_BYTES / 2),
        body('a'),
        requestHead('POST', '/peek', DRAIN_BYTES / 2),
        body('b'),
        requestHead('POST', '/echo/path', 5, { Connection: 'close' }),
        'hello',
      ],
      ['POST', 'POST', 'POST'],
    );
    assert.deepEqual(
      answers.map((a) => [a.status, a.headers.connection]),
      [
        [200, undefined],
        [200, undefined],
        [200, 'close'],
      ],
    );
    assert.deepEqual(
      JSON.parse(answers[1]!.body),
      { first: 'bbbb' },
      'the unread rest was drained, not parsed',
    );
    assert.equal((JSON.parse(answers[2]!.body) as { body: string }).body, 'hello');
    assert.equal(ending, 'end');
  });

  it('an unread rest over the drain limit: Connection: close and a clean close', async () => {
    const size = DRAIN_BYTES * 3;
    const { answers, ending } = await rawExchange(
      url,
      [requestHead('POST', '/peek', size), Buffer.alloc(size, 'c')],
      ['POST'],
    );
    assert.deepEqual(
      answers.map((a) => [a.status, a.headers.connection]),
      [[200, 'close']],
    );
    assert.equal(ending, 'end');
  });
});

describe("dev host: the host's request-body limit (FUNCTIONS_REQUEST_BODY_SIZE_LIMIT)", () => {
  const LIMIT = 64 * 1024;
  let limited: { server: Server; url: string };
  before(async () => {
    limited = await startDevHost({ port: 0, functions: [echo, peek], bodyLimitBytes: LIMIT });
  });
  after(() => limited.server.close());

  it('at the limit the function runs', async () => {
    const res = await fetch(`${limited.url}/echo/path`, { method: 'POST', body: 'x'.repeat(LIMIT) });
    assert.equal(res.status, 200);
  });

  it("over it, by Content-Length or streamed, the host's 500 with an empty body and Connection: close", async () => {
    const body = Buffer.alloc(LIMIT + 1, 'x');
    const framed = await rawExchange(
      limited.url,
      [requestHead('POST', '/echo/path', body.length), body],
      ['POST'],
    );
    const chunked = await rawExchange(
      limited.url,
      [
        'POST /echo/path HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n',
        `${body.length.toString(16)}\r\n`,
        body,
        '\r\n0\r\n\r\n',
      ],
      ['POST'],
    );
    for (const { answers, ending } of [framed, chunked]) {
      assert.deepEqual(
        answers.map((a) => [a.status, a.headers.connection, a.body]),
        [[500, 'close', '']],
      );
      assert.equal(ending, 'end');
    }
  });
});

describe('invocationTraceContext (the host hands each invocation a trace context)', () => {
  it("continues a caller's valid traceparent with a span of its own, keeping tracestate", () => {
    const tc = invocationTraceContext('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'az=1');
    assert.match(tc.traceParent, /^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
    assert.ok(!tc.traceParent.includes('b7ad6b7169203331'));
    assert.equal(tc.traceState, 'az=1');
  });

  it('starts a new sampled trace for a missing or malformed traceparent', () => {
    for (const incoming of [
      undefined,
      'nonsense',
      '00-00000000000000000000000000000000-b7ad6b7169203331-01',
    ]) {
      const tc = invocationTraceContext(incoming, 'az=1');
      assert.match(tc.traceParent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      assert.ok(!tc.traceParent.startsWith('00-000000'));
      assert.equal(tc.traceState, undefined);
    }
  });
});
