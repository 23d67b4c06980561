import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import { withTimeout } from './timeout.js';

/** One answer of Entra ID, as the network client saw it. */
export interface NetworkAnswer {
  url: URL;
  method: 'GET' | 'POST';
  /** The form body MSAL sent (POST only); it holds assertions and secrets, so it is never logged. */
  requestBody: string | undefined;
  status: number;
  headers: Headers;
  body: unknown;
}

export interface MsalNetworkOptions {
  /** Budget of every request, body included; a smaller GET timeout of MSAL's own (IMDS: 2 s) wins. */
  timeoutMs: number;
  /**
   * What a body that is not JSON (a proxy's HTML error page) becomes for MSAL's parser: `oauth_error` an
   * `invalid_response` OAuth error MSAL reports as such, `empty` an empty object (the CLI explains failures
   * from what `onAnswer` recorded instead).
   */
  nonJson: 'oauth_error' | 'empty';
  /** Sees every answer before MSAL does; may throw to stop MSAL (the CLI stops a refused device code request). */
  onAnswer?: (answer: NetworkAnswer) => void;
  /** Sees every request that got no (complete) answer: connection failure or timeout. */
  onNoAnswer?: (url: URL, error: unknown) => void;
}

/**
 * MSAL network module on `fetch` for the server and the CLI: MSAL's own client has no time budget for POST
 * (a hung token endpoint would hang the caller), and its errors drop parts of Entra's answer (claims,
 * Retry-After, AADSTS codes) that the callers need, so they observe the answers here.
 */
export class MsalNetworkClient implements INetworkModule {
  constructor(private readonly options: MsalNetworkOptions) {}

  sendGetRequestAsync<T>(
    url: string,
    options?: NetworkRequestOptions,
    timeout?: number,
  ): Promise<NetworkResponse<T>> {
    const budget = this.options.timeoutMs;
    return this.#send<T>(url, 'GET', options, Math.min(timeout ?? budget, budget));
  }

  sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.#send<T>(url, 'POST', options, this.options.timeoutMs);
  }

  async #send<T>(
    url: string,
    method: 'GET' | 'POST',
    options: NetworkRequestOptions | undefined,
    ms: number,
  ): Promise<NetworkResponse<T>> {
    const target = new URL(url);
    const requestBody = method === 'POST' ? options?.body : undefined;
    let response: Response;
    let text: string;
    try {
      [response, text] = await withTimeout(`Entra ID (${target.origin})`, ms, async (signal) => {
        const answer = await fetch(url, {
          method,
          headers: options?.headers ?? {},
          ...(requestBody !== undefined ? { body: requestBody } : {}),
          signal,
        });
        return [answer, await answer.text()] as const;
      });
    } catch (error) {
      this.options.onNoAnswer?.(target, error);
      throw error;
    }
    const body = this.#parse(text, response.status);
    this.options.onAnswer?.({
      url: target,
      method,
      requestBody,
      status: response.status,
      headers: response.headers,
      body,
    });
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => (headers[name] = value));
    return { headers, body: body as T, status: response.status };
  }

  #parse(text: string, status: number): unknown {
    try {
      return text ? JSON.parse(text) : {};
    } catch {
      if (this.options.nonJson === 'empty') return {};
      return {
        error: 'invalid_response',
        error_description: `Unexpected non-JSON answer (HTTP ${status})`,
      };
    }
  }
}
