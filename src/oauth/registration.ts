// Dynamic Client Registration (RFC 7591) without storage: the client id handed out is a record of the
// registration signed by this server (clients.ts reads it back), so nothing is written anywhere and any instance
// can serve the client.
import { randomBytes } from 'node:crypto';
import { OAuthProxyError } from '../errors.js';
import { clean } from '../util/text.js';
import { MAX_CLIENT_NAME, checkRedirectUris } from './clients.js';
import type { RegistrationRecord } from './clients.js';
import type { ProxyKeyRing } from './keys.js';
import { isLoopbackRedirect } from './redirect-uris.js';

/** Largest registration request body. */
export const MAX_REGISTRATION_BYTES = 16 * 1024;
/** Longest client id this server hands out: it rides in every access token of the client. */
const MAX_CLIENT_ID_LENGTH = 2048;

const GRANT_TYPES = ['authorization_code', 'refresh_token'];

function metadataError(description: string): OAuthProxyError {
  return new OAuthProxyError('invalid_client_metadata', description);
}

function stringList(value: unknown, name: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw metadataError(`${name} must be an array of strings.`);
  }
  return value;
}

/** The RFC 7591 §3.2.1 response for `request` (the parsed JSON body), or OAuthProxyError. */
export async function register(
  request: unknown,
  keys: ProxyKeyRing,
  nowSec: number,
): Promise<Record<string, unknown>> {
  if (request === null || typeof request !== 'object' || Array.isArray(request)) {
    throw metadataError('The registration request must be a JSON object.');
  }
  const meta = request as Record<string, unknown>;
  const redirects = checkRedirectUris(meta.redirect_uris);
  if ('problem' in redirects) throw new OAuthProxyError('invalid_redirect_uri', `${redirects.problem}.`);

  // Public clients only: a secret would have to be stored, and PKCE protects the code without one. A client asking
  // for a secret method gets "none" back (RFC 7591 §3.2.1 lets the server replace what it asked for).
  const method = meta.token_endpoint_auth_method;
  if (method !== undefined && typeof method !== 'string') {
    throw metadataError('token_endpoint_auth_method must be a string.');
  }
  if (
    method === 'private_key_jwt' ||
    method === 'tls_client_auth' ||
    method === 'self_signed_tls_client_auth'
  ) {
    throw metadataError('This server registers public clients only (token_endpoint_auth_method "none").');
  }
  const grants = stringList(meta.grant_types, 'grant_types') ?? GRANT_TYPES;
  if (!grants.every((g) => GRANT_TYPES.includes(g)) || !grants.includes('authorization_code')) {
    throw metadataError('grant_types may be authorization_code and refresh_token only.');
  }
  const responses = stringList(meta.response_types, 'response_types') ?? ['code'];
  if (!responses.every((r) => r === 'code')) throw metadataError('response_types may be code only.');
  if (meta.client_name !== undefined && typeof meta.client_name !== 'string') {
    throw metadataError('client_name must be a string.');
  }
  const name = typeof meta.client_name === 'string' ? clean(meta.client_name, MAX_CLIENT_NAME) : '';
  const type = meta.application_type;
  if (type !== undefined && type !== 'web' && type !== 'native') {
    throw metadataError('application_type must be web or native.');
  }
  // OpenID's default is web; a client with only loopback or app-scheme redirects is a native app whatever it says.
  const applicationType =
    type ?? (redirects.uris.every((u) => isLoopbackRedirect(u) || !u.startsWith('http')) ? 'native' : 'web');

  const record: RegistrationRecord = {
    ...(name ? { client_name: name } : {}),
    redirect_uris: redirects.uris,
    application_type: applicationType,
  };
  // A fresh id per registration, even of identical metadata (RFC 7591: a client_id is unique).
  const clientId = await keys.sign('client', { ...record, jti: randomBytes(12).toString('base64url') });
  if (clientId.length > MAX_CLIENT_ID_LENGTH) {
    throw metadataError(
      'The registration is too large: use fewer or shorter redirect URIs and a shorter name.',
    );
  }
  return {
    client_id: clientId,
    client_id_issued_at: nowSec,
    ...record,
    grant_types: [...new Set(grants)],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
  };
}
