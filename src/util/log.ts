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

const JWT = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const SECRET_PARAMS =
  /((?:client_secret|assertion|client_assertion|access_token|refresh_token|code)=)[^&\s"]+/gi;

/** Removes anything token- or secret-shaped from free text (e.g. an upstream error message). */
export function redact(text: string): string {
  return text.replace(JWT, '[redacted-jwt]').replace(SECRET_PARAMS, '$1[redacted]');
}

/** Logs to the console; used where no InvocationContext exists (startup, dev host). */
export const consoleLogger: Logger = {
  info: (m, ...a) => console.info(m, ...a),
  warn: (m, ...a) => console.warn(m, ...a),
  error: (m, ...a) => console.error(m, ...a),
};
