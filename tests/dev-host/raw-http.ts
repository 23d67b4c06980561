import { connect } from 'node:net';

/** One answer read off a raw connection. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** What a raw connection saw: the answers in order, and how it ended (`end` = the server closed with a FIN). */
export interface RawExchange {
  answers: RawAnswer[];
  ending: string;
}

/** A Content-Length framed body at the start of `data`, or undefined while incomplete. */
function contentLength(data: Buffer, length: number): { body: Buffer; used: number } | undefined {
  return data.length < length ? undefined : { body: data.subarray(0, length), used: length };
}

/** A chunked body at the start of `data` (RFC 9112 §7.1, no trailers), or undefined while incomplete. */
function dechunk(data: Buffer): { body: Buffer; used: number } | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) return undefined;
    const size = parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    const start = lineEnd + 2;
    if (data.length < start + size + 2) return undefined;
    if (size === 0) return { body: Buffer.concat(parts), used: start + 2 };
    parts.push(data.subarray(start, start + size));
    at = start + size + 2;
  }
}

/**
 * Writes `chunks` to a fresh TCP connection and parses the HTTP/1.1 answers (chunked or Content-Length framed). `methods` are the request methods in order, so HEAD answers are read without a body. Resolves
 * once `expected` answers arrived and the server closed, or after `waitMs`.
 */
export function rawExchange(
  url: string,
  chunks: (string | Buffer)[],
  methods: string[],
  options: { expected?: number; waitMs?: number } = {},
): Promise<RawExchange> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    let buffer = Buffer.alloc(0);
    const answers: RawAnswer[] = [];
    let settled = false;
    const finish = (ending: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ answers, ending });
    };
    const timer = setTimeout(() => finish('open'), options.waitMs ?? 10_000);
    socket.on('data', (data: Buffer) => {
      buffer = Buffer.concat([buffer, data]);
      for (;;) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const [statusLine = '', ...lines] = buffer.subarray(0, end).toString('latin1').split('\r\n');
        const headers: Record<string, string> = {};
        for (const line of lines) {
          const i = line.indexOf(':');
          headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
        }
        const isHead = methods[answers.length] === 'HEAD';
        const framed = isHead
          ? { body: Buffer.alloc(0), used: 0 }
          : headers['transfer-encoding'] === 'chunked'
            ? dechunk(buffer.subarray(end + 4))
            : contentLength(buffer.subarray(end + 4), Number(headers['content-length'] ?? 0));
        if (!framed) return;
        buffer = buffer.subarray(end + 4 + framed.used);
        answers.push({
          status: Number(statusLine.split(' ')[1]),
          headers,
          body: framed.body.toString('utf8'),
        });
      }
    });
    socket.on('end', () => finish('end'));
    socket.on('error', (error: NodeJS.ErrnoException) => finish(error.code ?? error.message));
    socket.on('connect', () => {
      for (const chunk of chunks) socket.write(chunk);
    });
  });
}

/** A request head with a Content-Length body of `size` bytes. */
export function requestHead(
  method: string,
  path: string,
  size: number,
  headers: Record<string, string> = {},
): string {
  const extra = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  return `${method} ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${size}\r\n${extra}\r\n`;
}
