import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';

/**
 * MSAL network module on fetch with a hard per-request time budget (MSAL's own client has none for POST,
 * so a hung token endpoint would hang the tool call).
 */
export class TimeoutNetworkClient implements INetworkModule {
  constructor(private readonly timeoutMs: number) {}

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
    return { headers, body: body as T, status: response.status };
  }
}
