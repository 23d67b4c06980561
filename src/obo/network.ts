import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';

/** What a failed token request answered, beyond what MSAL's errors keep. */
export interface FailedAnswer {
  status: number;
  /** Entra's `claims` challenge (MSAL drops it from a plain ServerError, e.g. `invalid_grant`). */
  claims: string | undefined;
  /** `Retry-After` in whole seconds, when Entra sent one. */
  retryAfterSec: number | undefined;
}

const MAX_REMEMBERED = 256;

/**
 * MSAL network module on fetch with a hard per-request time budget (MSAL's own client has none for POST,
 * so a hung token endpoint would hang the tool call). It also remembers, per request correlation id, the
 * status, claims and Retry-After of failed token answers until the caller takes them.
 */
export class TimeoutNetworkClient implements INetworkModule {
  readonly #failed = new Map<string, FailedAnswer>();

  constructor(private readonly timeoutMs: number) {}

  /** The failed answer to the token request with this `client-request-id`, if any (removed on read). */
  takeFailure(correlationId: string): FailedAnswer | undefined {
    const answer = this.#failed.get(correlationId);
    this.#failed.delete(correlationId);
    return answer;
  }

  /** GET with the smaller of MSAL's and our time budget. */
  sendGetRequestAsync<T>(
    url: string,
    options?: NetworkRequestOptions,
    timeout?: number,
  ): Promise<NetworkResponse<T>> {
    return this.#send<T>(url, 'GET', options, Math.min(timeout ?? this.timeoutMs, this.timeoutMs));
  }

  /** POST with our time budget. */
  sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.#send<T>(url, 'POST', options, this.timeoutMs);
  }

  async #send<T>(
    url: string,
    method: string,
    options: NetworkRequestOptions | undefined,
    ms: number,
  ): Promise<NetworkResponse<T>> {
    const response = await fetch(url, {
      method,
      headers: options?.headers ?? {},
      ...(options?.body !== undefined ? { body: options.body } : {}),
      signal: AbortSignal.timeout(ms),
    });
    const text = await response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      // Entra answers JSON; anything else (a proxy's HTML error page) must not crash MSAL's parser.
      body = {
        error: 'invalid_response',
        error_description: `Unexpected non-JSON answer (HTTP ${response.status})`,
      };
    }
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => (headers[name] = value));
    if (!response.ok && method === 'POST') this.#remember(options?.body, response, body);
    return { headers, body: body as T, status: response.status };
  }

  #remember(requestBody: string | undefined, response: Response, body: unknown): void {
    const correlationId = new URLSearchParams(requestBody ?? '').get('client-request-id');
    if (!correlationId) return;
    const claims =
      body !== null && typeof body === 'object' ? (body as { claims?: unknown }).claims : undefined;
    const retryAfter = /^\s*(\d{1,9})\s*$/.exec(response.headers.get('retry-after') ?? '')?.[1];
    this.#failed.set(correlationId, {
      status: response.status,
      claims: typeof claims === 'string' && claims.length > 0 ? claims : undefined,
      retryAfterSec: retryAfter === undefined ? undefined : Number(retryAfter),
    });
    // Bounded: answers nobody took (an MSAL code path that never reached our caller) are dropped oldest first.
    while (this.#failed.size > MAX_REMEMBERED) {
      const oldest = this.#failed.keys().next().value;
      if (oldest === undefined) break;
      this.#failed.delete(oldest);
    }
  }
}
