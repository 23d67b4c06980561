import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import { describeNetworkError } from './scope-discovery.js';

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

function errorInfo(url: string, body: unknown): EntraErrorInfo | undefined {
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
  return { error: b.error, codes, description, endpoint: new URL(url).pathname };
}

/**
 * MSAL network client on `fetch` that remembers the last Entra ID error answer and network failure, so
 * sign-in failures can be explained with their AADSTS code (MSAL's device code flow drops it).
 */
export class RecordingNetworkClient implements INetworkModule {
  /** The last error answer of Entra ID since reset(). */
  lastError: EntraErrorInfo | undefined;
  /** The last connection failure since reset(), e.g. `ECONNREFUSED (https://host)`. */
  lastNetworkFailure: string | undefined;

  /** Forgets recorded errors (call before each MSAL operation). */
  reset(): void {
    this.lastError = undefined;
    this.lastNetworkFailure = undefined;
  }

  sendGetRequestAsync<T>(
    url: string,
    options?: NetworkRequestOptions,
    timeout?: number,
  ): Promise<NetworkResponse<T>> {
    return this.#send<T>('GET', url, options, timeout);
  }

  sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.#send<T>('POST', url, options, 30_000);
  }

  async #send<T>(
    method: string,
    url: string,
    options: NetworkRequestOptions | undefined,
    timeout: number | undefined,
  ): Promise<NetworkResponse<T>> {
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        ...(options?.headers ? { headers: options.headers } : {}),
        ...(method === 'POST' && options?.body !== undefined ? { body: options.body } : {}),
        // MSAL passes no timeout for most calls: never wait on Entra ID forever.
        signal: AbortSignal.timeout(timeout ?? 30_000),
      });
    } catch (error) {
      this.lastNetworkFailure = `${describeNetworkError(error)} (${new URL(url).origin})`;
      throw error;
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      body = {};
    }
    const headers: Record<string, string> = {};
    res.headers.forEach((value, name) => (headers[name] = value));
    if (res.status >= 400) {
      const info = errorInfo(url, body);
      if (info && info.error !== 'authorization_pending') {
        this.lastError = info;
        if (/\/devicecode$/i.test(new URL(url).pathname)) throw new DeviceCodeRefusedError(info);
      }
    }
    return { headers, body: body as T, status: res.status };
  }
}
