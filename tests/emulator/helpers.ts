// Shared bits of the emulator's own tests.
import { ConfidentialClientApplication } from '@azure/msal-node';
import type { AccessToken, TokenCredential } from '@azure/identity';
import type { Emulator } from '../../emulator/index.js';

export const ARM_SCOPE = 'https://management.azure.com/user_impersonation';

/** MSAL authority settings for the emulator (a non-Microsoft host must be listed in knownAuthorities). */
export function msalAuth(emu: Emulator): { clientId: string; authority: string; knownAuthorities: string[] } {
  return {
    clientId: emu.clientId,
    authority: `${emu.entraUrl}/${emu.tenantId}`,
    knownAuthorities: [new URL(emu.entraUrl).host],
  };
}

/** A TokenCredential that always returns one fixed token. */
export function staticCredential(token: string, expiresOnTimestamp = Date.now() + 3600_000): TokenCredential {
  return { getToken: (): Promise<AccessToken> => Promise.resolve({ token, expiresOnTimestamp }) };
}

/** An ARM token for `user` through the real OBO flow (client secret). */
export async function armTokenFor(emu: Emulator, user: string): Promise<string> {
  const cca = new ConfidentialClientApplication({
    auth: { ...msalAuth(emu), clientSecret: emu.clientSecret },
  });
  const assertion = await emu.issueUserToken({ user });
  const result = await cca.acquireTokenOnBehalfOf({
    oboAssertion: assertion,
    scopes: [ARM_SCOPE],
    skipCache: true,
  });
  if (!result?.accessToken) throw new Error('no ARM token');
  return result.accessToken;
}

export function decodePayload(jwt: string): Record<string, unknown> {
  const part = jwt.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}
