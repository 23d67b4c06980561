import type { NetworkAnswer } from '../util/msal-network.js';

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
 * The status, claims and Retry-After of failed token answers, per request correlation id, until the caller
 * takes them: the OBO step-up challenge and the 429 hold-back need them, and MSAL's errors drop them.
 */
export class FailedAnswers {
  readonly #failed = new Map<string, FailedAnswer>();

  /** The failed answer to the token request with this `client-request-id`, if any (removed on read). */
  take(correlationId: string): FailedAnswer | undefined {
    const answer = this.#failed.get(correlationId);
    this.#failed.delete(correlationId);
    return answer;
  }

  /** Hand to MsalNetworkClient's `onAnswer`: keeps failed POST (token) answers that carry a correlation id. */
  record(answer: NetworkAnswer): void {
    if (answer.method !== 'POST' || (answer.status >= 200 && answer.status < 300)) return;
    // MSAL sends it in the body of an On-Behalf-Of request, and in the URL of its code and refresh token grants.
    const correlationId =
      new URLSearchParams(answer.requestBody ?? '').get('client-request-id') ??
      answer.url.searchParams.get('client-request-id');
    if (!correlationId) return;
    const { body } = answer;
    const claims =
      body !== null && typeof body === 'object' ? (body as { claims?: unknown }).claims : undefined;
    const retryAfter = /^\s*(\d{1,9})\s*$/.exec(answer.headers.get('retry-after') ?? '')?.[1];
    this.#failed.set(correlationId, {
      status: answer.status,
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
