import { fingerprint } from '../util/log.js';
import type { ClientCredentialSource, CurrentCredential } from './credential-source.js';

/** OBO_CREDENTIAL=secret: the client secret straight from a setting (local development only). */
export class SecretCredentialSource implements ClientCredentialSource {
  readonly #current: CurrentCredential;

  constructor(secret: string) {
    this.#current = { key: `secret:${fingerprint(secret)}`, credential: { clientSecret: secret } };
  }

  get(): Promise<CurrentCredential> {
    return Promise.resolve(this.#current);
  }

  /** A setting cannot be re-read: retrying would fail the same way. */
  invalidate(): boolean {
    return false;
  }
}
