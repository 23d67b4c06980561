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

/**
 * Writes `chunks` to a fresh TCP connection and parses the HTTP/1.1 answers (Content-Length framed, as the dev
 * host sends them). `methods` are the request methods in order, so HEAD answers are read without a body. Resolves
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
        const length = isHead ? 0 : Number(headers['content-length'] ?? 0);
        if (buffer.length < end + 4 + length) return;
        const body = buffer.subarray(end + 4, end + 4 + length).toString('utf8');
        buffer = buffer.subarray(end + 4 + length);
        answers.push({ status: Number(statusLine.split(' ')[1]), headers, body });
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
