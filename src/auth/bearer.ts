/** The token of an `Authorization: Bearer` header; undefined when absent or another scheme. */
export function bearerToken(header: string | null): string | undefined {
  const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

/** A compact JWE (five parts; an Entra token is a three-part JWS): an access token of this server's OAuth proxy. */
export function isProxyToken(token: string): boolean {
  return token.split('.').length === 5;
}
