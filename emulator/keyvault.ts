// Emulated Azure Key Vault (secrets, read-only over HTTP; tests change them through the Emulator API).
//   https://learn.microsoft.com/rest/api/keyvault/secrets/get-secret/get-secret
//   https://learn.microsoft.com/azure/key-vault/general/authentication-requests-and-responses
//   https://learn.microsoft.com/azure/key-vault/general/rbac-guide (ForbiddenByRbac)
import { randomBytes, randomUUID } from 'node:crypto';
import type { EmuRequest, EmuResponse, ServiceHandler } from './http.js';
import { VAULT_AUDIENCE, nowSec, v1Issuer, v2Issuer, verifyJwt } from './tokens.js';
import type { EmulatorState } from './types.js';

class VaultError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly innerCode?: string,
  ) {
    super(message);
  }
}

const SECRET_NAME = /^[0-9a-zA-Z-]{1,127}$/;

function parse(req: EmuRequest): { name: string; version?: string } | undefined {
  const seg = req.path.split('/').filter(Boolean);
  if (req.method !== 'GET' || seg[0]?.toLowerCase() !== 'secrets' || seg.length < 2 || seg.length > 3)
    return undefined;
  const name = seg[1] ?? '';
  return seg[2] ? { name, version: seg[2] } : { name };
}

/** Sets a new current version of a secret (creating it if needed); returns the version id. */
export function putSecret(state: EmulatorState, name: string, value: string): string {
  const now = nowSec();
  const version = randomBytes(16).toString('hex');
  const key = name.toLowerCase();
  const entry = state.vault.get(key) ?? { name, versions: [] };
  entry.versions.push({ version, value, created: now, updated: now });
  state.vault.set(key, entry);
  return version;
}

export function createKeyVaultHandler(state: EmulatorState): ServiceHandler {
  const vaultBase = (): string => state.keyVaultUrl.replace(/\/+$/, '');
  const challenge = (): string =>
    `Bearer authorization="${state.entraUrl}/${state.tenantId}", resource="${VAULT_AUDIENCE}"`;

  async function authorize(req: EmuRequest): Promise<void> {
    const header = req.header('authorization');
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match?.[1])
      throw new VaultError(401, 'Unauthorized', 'AKV10000: Request is missing a Bearer or PoP token.');
    const result = await verifyJwt(state.key, match[1]);
    if (!result.ok) {
      const why =
        result.reason === 'expired'
          ? 'The token is expired.'
          : result.reason === 'not_yet_valid'
            ? 'The token is not yet valid.'
            : 'The token signature is invalid.';
      throw new VaultError(401, 'Unauthorized', `Token validation failed. ${why}`);
    }
    const c = result.claims;
    const aud = typeof c.aud === 'string' ? c.aud.replace(/\/+$/, '') : '';
    if (aud !== VAULT_AUDIENCE) {
      throw new VaultError(
        401,
        'Unauthorized',
        `AKV10022: Invalid audience. Expected ${VAULT_AUDIENCE}, found: ${aud}.`,
      );
    }
    const issuers = [v1Issuer(state.tenantId), v2Issuer(state.entraUrl, state.tenantId)];
    if (typeof c.iss !== 'string' || !issuers.includes(c.iss)) {
      throw new VaultError(
        401,
        'Unauthorized',
        `AKV10032: Invalid issuer. Expected one of ${issuers.join(', ')}, found: ${String(c.iss)}.`,
      );
    }
    // RBAC: only the managed identity holds "Key Vault Secrets User" on this vault.
    if (c.oid !== state.managedIdentity.principalId) {
      const str = (v: unknown): string => (typeof v === 'string' ? v : '');
      const who = `appid=${str(c.appid) || str(c.azp)};oid=${str(c.oid)};iss=${c.iss}`;
      throw new VaultError(
        403,
        'Forbidden',
        `Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\nCaller: ${who}\r\nAction: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'\r\nResource: '/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/emulator/providers/microsoft.keyvault/vaults/emulator-vault/secrets/${parse(req)?.name ?? ''}'\r\nAssignment: (not found)\r\nDenyAssignmentId: null\r\nDecisionReason: null \r\nVault: emulator-vault;location=westeurope\r\n`,
        'ForbiddenByRbac',
      );
    }
  }

  async function serve(req: EmuRequest): Promise<EmuResponse> {
    const target = parse(req);
    if (!target)
      throw new VaultError(
        404,
        'NotFound',
        `The requested operation '${req.method} ${req.path}' is not supported by the emulator.`,
      );
    await authorize(req);
    if (!req.url.searchParams.get('api-version')) {
      throw new VaultError(400, 'BadParameter', "The 'api-version' query parameter is missing.");
    }
    if (!SECRET_NAME.test(target.name)) {
      throw new VaultError(
        400,
        'BadParameter',
        `The secret name '${target.name}' is invalid. Secret names may contain only alphanumeric characters and dashes.`,
      );
    }
    const entry = state.vault.get(target.name.toLowerCase());
    const version = target.version
      ? entry?.versions.find((v) => v.version === target.version)
      : entry?.versions[entry.versions.length - 1];
    if (!entry || !version) {
      const id = target.version ? `${target.name}/${target.version}` : target.name;
      throw new VaultError(
        404,
        'SecretNotFound',
        `A secret with (name/id) ${id} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`,
      );
    }
    return {
      status: 200,
      json: {
        value: version.value,
        id: `${vaultBase()}/secrets/${entry.name}/${version.version}`,
        attributes: {
          enabled: true,
          created: version.created,
          updated: version.updated,
          recoveryLevel: 'Recoverable+Purgeable',
          recoverableDays: 90,
        },
        tags: {},
      },
    };
  }

  return {
    classify(req) {
      return parse(req) ? 'keyvault.secret' : 'keyvault.other';
    },

    async handle(req) {
      try {
        return await serve(req);
      } catch (err) {
        if (!(err instanceof VaultError)) throw err;
        const error: Record<string, unknown> = { code: err.code, message: err.message };
        if (err.innerCode) error.innererror = { code: err.innerCode };
        const headers: Record<string, string> = err.status === 401 ? { 'WWW-Authenticate': challenge() } : {};
        return { status: err.status, headers, json: { error } };
      }
    },

    faultResponse(_req, status, body) {
      if (body !== undefined) return { status, json: body };
      if (status === 429) {
        return {
          status,
          json: {
            error: {
              code: 'Throttled',
              message:
                'Request was not allowed because application is being throttled. Please try again after the time given in the Retry-After header.',
            },
          },
        };
      }
      const code =
        status === 503 ? 'ServiceUnavailable' : status >= 500 ? 'InternalServerError' : 'BadParameter';
      return { status, json: { error: { code, message: `Injected fault (${status}).` } } };
    },

    commonHeaders(req) {
      return {
        'Cache-Control': 'no-cache',
        Pragma: 'no-cache',
        Expires: '-1',
        'x-ms-request-id': randomUUID(),
        ...(req.header('x-ms-client-request-id')
          ? { 'x-ms-client-request-id': req.header('x-ms-client-request-id') ?? '' }
          : {}),
        'x-ms-keyvault-region': 'westeurope',
        'x-ms-keyvault-service-version': '1.9.0.0',
        'x-ms-keyvault-network-info': 'conn_type=Ipv4;addr=127.0.0.1;act_addr_fam=InterNetwork;',
        'Strict-Transport-Security': 'max-age=31536000;includeSubDomains',
        'X-Content-Type-Options': 'nosniff',
      };
    },
  };
}
