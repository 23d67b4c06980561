import { MsalNetworkClient } from '../src/util/msal-network.js';
import type { NetworkAnswer } from '../src/util/msal-network.js';
import { describeNetworkError } from './fetch-guard.js';

/** An Entra ID error answer, as seen on the wire (no values of the request). */
export interface EntraErrorInfo {
  error: string;
  /** AADSTS numbers, e.g. [7000218]. */
  codes: number[];
  /** The error description up to "Trace ID:" (AADSTS code and sentence). */
  description: string;
  /** Path of the endpoint that answered, e.g. /tenant/oauth2/v2.0/token. */
  endpoint: string;
}

/** Thrown to stop MSAL when the device code endpoint refuses (MSAL would otherwise poll with no code). */
export class DeviceCodeRefusedError extends Error {
  constructor(readonly info: EntraErrorInfo) {
    super(`device code request refused: ${info.error}`);
    this.name = 'DeviceCodeRefusedError';
  }
}

function errorInfo(url: URL, body: unknown): EntraErrorInfo | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Record<string, unknown>;
  if (typeof b.error !== 'string') return undefined;
  const codes = Array.isArray(b.error_codes)
    ? b.error_codes.filter((c): c is number => typeof c === 'number')
    : [];
  const raw = typeof b.error_description === 'string' ? b.error_description : '';
  const description =
    raw
      .split(/\s+Trace ID:/)[0]
      ?.replace(/\s+/g, ' ')
      .trim() ?? '';
  return { error: b.error, codes, description, endpoint: url.pathname };
}

// MSAL passes no timeout for most calls: never wait on Entra ID forever.
const ENTRA_TIMEOUT_MS = 30_000;

/**
 * Remembers the last Entra ID error answer and network failure of the CLI's MSAL client, so sign-in failures
 * can be explained with their AADSTS code (MSAL's device code flow drops it).
 */
export class EntraRecorder {
  /** The last error answer of Entra ID since reset(). */
  lastError: EntraErrorInfo | undefined;
  /** The last connection failure since reset(), e.g. `ECONNREFUSED (https://host)`. */
  lastNetworkFailure: string | undefined;

  /** The network module to hand to MSAL; what it sees lands here. */
  readonly client = new MsalNetworkClient({
    timeoutMs: ENTRA_TIMEOUT_MS,
    nonJson: 'empty',
    onAnswer: (answer) => this.#answered(answer),
    onNoAnswer: (url, error) => {
      this.lastNetworkFailure = `${describeNetworkError(error)} (${url.origin})`;
    },
  });

  /** Forgets recorded errors (call before each MSAL operation). */
  reset(): void {
    this.lastError = undefined;
    this.lastNetworkFailure = undefined;
  }

  #answered({ url, status, body }: NetworkAnswer): void {
    if (status < 400) return;
    const info = errorInfo(url, body);
    if (!info || info.error === 'authorization_pending') return;
    this.lastError = info;
    if (/\/devicecode$/i.test(url.pathname)) throw new DeviceCodeRefusedError(info);
  }
}
