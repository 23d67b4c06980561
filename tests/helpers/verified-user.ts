import type { Emulator } from '../../emulator/index.js';
import type { VerifiedUser } from '../../src/auth/verifier.js';

/** What the verifier would make of an emulator-issued token, without verifying it (for OBO and ARM tests). */
export function verifiedUser(
  emulator: Pick<Emulator, 'tenantId'>,
  token: string,
  clientAppId?: string,
): VerifiedUser {
  const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as {
    oid: string;
    exp: number;
  };
  return {
    token,
    oid: payload.oid,
    tenantId: emulator.tenantId,
    upn: undefined,
    name: undefined,
    scopes: ['execute'],
    version: '2.0',
    expiresAt: payload.exp,
    clientAppId,
  };
}
