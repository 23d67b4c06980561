// Emulated App Service / Azure Functions managed identity endpoint (IDENTITY_ENDPOINT, api-version 2019-08-01).
// Plain http, like the real local endpoint (http://localhost:8081/msi/token).
//   https://learn.microsoft.com/azure/app-service/overview-managed-identity#rest-endpoint-reference
import { randomUUID } from 'node:crypto';
import type { EmuRequest, EmuResponse, ServiceHandler } from './http.js';
import {
  ARM_AUDIENCES,
  TOKEN_EXCHANGE_AUDIENCE,
  VAULT_AUDIENCE,
  managedIdentityClaims,
  nowSec,
  signJwt,
} from './tokens.js';
import { recordIssued } from './types.js';
import type { EmulatorState } from './types.js';

export const IDENTITY_PATH = '/msi/token';
const API_VERSION = '2019-08-01';
const KNOWN_RESOURCES = [TOKEN_EXCHANGE_AUDIENCE, VAULT_AUDIENCE, ...ARM_AUDIENCES];

class MsiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Maps `https://vault.azure.net/` and `.../.default` forms onto the resource the token is issued for. */
function normalizeResource(raw: string): string | undefined {
  const resource = raw.replace(/\/\.default$/, '');
  if (resource === TOKEN_EXCHANGE_AUDIENCE) return resource;
  const trimmed = resource.replace(/\/+$/, '');
  if (trimmed === VAULT_AUDIENCE) return VAULT_AUDIENCE;
  if (ARM_AUDIENCES.includes(resource)) return resource;
  return KNOWN_RESOURCES.find((r) => r.toLowerCase() === resource.toLowerCase());
}

export function createIdentityHandler(state: EmulatorState): ServiceHandler {
  async function serve(req: EmuRequest): Promise<EmuResponse> {
    if (req.method !== 'GET' || req.path.toLowerCase() !== IDENTITY_PATH)
      throw new MsiError(404, 'Not found.');
    const secret = req.header('x-identity-header');
    if (secret === undefined) throw new MsiError(400, 'The X-IDENTITY-HEADER header is required.');
    if (secret !== state.identityHeader)
      throw new MsiError(401, 'The X-IDENTITY-HEADER header value is invalid.');
    const q = req.url.searchParams;
    if (q.get('api-version') !== API_VERSION) {
      throw new MsiError(
        400,
        `The api-version '${q.get('api-version') ?? ''}' is not supported. Supported: ${API_VERSION}.`,
      );
    }
    const rawResource = q.get('resource');
    if (!rawResource) throw new MsiError(400, "The 'resource' query parameter is required.");
    const mi = state.managedIdentity;
    const clientId = q.get('client_id');
    const principalId = q.get('principal_id') ?? q.get('object_id');
    const wrongId =
      (clientId !== null && clientId.toLowerCase() !== mi.clientId.toLowerCase()) ||
      (principalId !== null && principalId.toLowerCase() !== mi.principalId.toLowerCase()) ||
      q.has('mi_res_id');
    if (wrongId) throw new MsiError(400, 'Unable to load the proper Managed Identity.');
    const resource = normalizeResource(rawResource);
    if (!resource) {
      throw new MsiError(
        400,
        `AADSTS500011: The resource principal named ${rawResource} was not found in the tenant named ${state.tenantId}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
      );
    }
    const now = nowSec();
    const claims = managedIdentityClaims({
      resource,
      tenantId: state.tenantId,
      entraUrl: state.entraUrl,
      miClientId: mi.clientId,
      principalId: mi.principalId,
      now,
      lifetimeSec: state.tokenLifetimeSec,
    });
    const accessToken = await signJwt(state.key, claims);
    recordIssued(state, accessToken);
    return {
      status: 200,
      json: {
        access_token: accessToken,
        expires_on: String(now + state.tokenLifetimeSec),
        resource: rawResource,
        token_type: 'Bearer',
        client_id: mi.clientId,
      },
    };
  }

  const errorBody = (status: number, message: string) => ({
    statusCode: status,
    message,
    correlationId: randomUUID(),
  });

  return {
    classify(req) {
      return req.path.toLowerCase() === IDENTITY_PATH ? 'identity.token' : 'identity.other';
    },
    async handle(req) {
      try {
        return await serve(req);
      } catch (err) {
        if (!(err instanceof MsiError)) throw err;
        return { status: err.status, json: errorBody(err.status, err.message) };
      }
    },
    faultResponse(_req, status, body) {
      if (body !== undefined) return { status, json: body };
      return {
        status,
        json: errorBody(status, status === 429 ? 'Too many requests.' : `Injected fault (${status}).`),
      };
    },
    commonHeaders() {
      return {};
    },
  };
}
