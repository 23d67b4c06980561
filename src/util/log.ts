import { createHash } from 'node:crypto';

/** Minimal logger shape shared by the Functions InvocationContext and the dev host. */
export interface Logger {
  info(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(message: string, ...args: unknown[]): void;
}

/** A short, non-reversible fingerprint of a token or secret, safe to log for correlation. */
export function fingerprint(value: string): string {
  return createHash('sha256').update(value).digest('base64url').slice(0, 10);
}

const PATTERNS: [RegExp, string][] = [
  [/eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, '[redacted-jwt]'],
  // form or URL-encoded parameters: client_secret=…, assertion%3D…
  [
    /((?:client_secret|client_assertion|assertion|access_token|refresh_token|id_token|code|password)(?:=|%3D))[^&\s"']+/gi,
    '$1[redacted]',
  ],
  // JSON or header-like pairs: "client_secret":"…", client_secret: …
  [
    /((?:client_secret|client_assertion|assertion|access_token|refresh_token|id_token|password)"?\s*[:=]\s*"?)[^"\s,}]+/gi,
    '$1[redacted]',
  ],
  [/(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi, '$1[redacted]'],
  // Entra client secrets look like `abc8Q~…`
  [/\b[A-Za-z0-9_-]{3}\dQ~[A-Za-z0-9._~-]{20,}/g, '[redacted-secret]'],
];

/** Removes anything token- or secret-shaped from free text (e.g. an upstream error message), and control characters. */
export function redact(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters would let upstream text forge log lines
  let out = text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** Logs to the console; used where no InvocationContext exists (startup, dev host). */
export const consoleLogger: Logger = {
  info: (m, ...a) => console.info(m, ...a),
  warn: (m, ...a) => console.warn(m, ...a),
  error: (m, ...a) => console.error(m, ...a),
};
