// Emulated Azure Resource Manager: subscriptions, resource groups and resources (read-only), per user.
//   https://learn.microsoft.com/rest/api/resources/subscriptions/list
//   https://learn.microsoft.com/rest/api/resources/resource-groups/list
//   https://learn.microsoft.com/rest/api/resources/resources/list
//   https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling
//   https://learn.microsoft.com/azure/azure-resource-manager/troubleshooting/common-deployment-errors
import { randomUUID } from 'node:crypto';
import type { EmuRequest, EmuResponse, ServiceHandler } from './http.js';
import { ARM_AUDIENCES, nowSec, v1Issuer, v2Issuer, verifyJwt } from './tokens.js';
import { findUser } from './types.js';
import type { EmulatorState, EmulatorSubscription, EmulatorUser } from './types.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly wwwAuthenticate?: string,
  ) {
    super(message);
  }
}

interface Principal {
  oid: string;
  upn: string;
  user: EmulatorUser | undefined;
}

type Op =
  | { kind: 'subscriptions' }
  | { kind: 'subscription'; sub: string }
  | { kind: 'resourcegroups'; sub: string }
  | { kind: 'resourcegroup'; sub: string; rg: string }
  | { kind: 'resources'; sub: string; rg?: string }
  | { kind: 'other' };

function parseOp(req: EmuRequest): Op {
  const seg = req.path.split('/').filter(Boolean);
  const low = seg.map((s) => s.toLowerCase());
  if (req.method !== 'GET' || low[0] !== 'subscriptions') return { kind: 'other' };
  const sub = seg[1];
  if (seg.length === 1) return { kind: 'subscriptions' };
  if (sub === undefined) return { kind: 'other' };
  if (seg.length === 2) return { kind: 'subscription', sub };
  if (seg.length === 3 && low[2] === 'resourcegroups') return { kind: 'resourcegroups', sub };
  if (seg.length === 3 && low[2] === 'resources') return { kind: 'resources', sub };
  const rg = seg[3];
  if (low[2] === 'resourcegroups' && rg !== undefined) {
    if (seg.length === 4) return { kind: 'resourcegroup', sub, rg };
    if (seg.length === 5 && low[4] === 'resources') return { kind: 'resources', sub, rg };
  }
  return { kind: 'other' };
}

const ACTIONS: Record<Exclude<Op['kind'], 'other'>, string> = {
  subscriptions: 'Microsoft.Resources/subscriptions/read',
  subscription: 'Microsoft.Resources/subscriptions/read',
  resourcegroups: 'Microsoft.Resources/subscriptions/resourceGroups/read',
  resourcegroup: 'Microsoft.Resources/subscriptions/resourceGroups/read',
  resources: 'Microsoft.Resources/subscriptions/resources/read',
};

function armTime(sec: number): string {
  return new Date(sec * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
}

export function createArmHandler(state: EmulatorState): ServiceHandler {
  const challenge = (description: string): string =>
    `Bearer authorization_uri="${state.entraUrl}/", error="invalid_token", error_description="${description}"`;

  async function authenticate(req: EmuRequest): Promise<Principal> {
    const header = req.header('authorization');
    if (!header) {
      throw new ArmError(
        401,
        'AuthenticationFailed',
        "Authentication failed. The 'Authorization' header is missing.",
        challenge("The authentication failed because of missing 'Authorization' header."),
      );
    }
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) {
      throw new ArmError(
        401,
        'AuthenticationFailed',
        "Authentication failed. The 'Authorization' header is provided in an invalid format.",
        challenge(
          "The authentication failed because of 'Authorization' header is provided in an invalid format.",
        ),
      );
    }
    const now = nowSec();
    const result = await verifyJwt(state.key, match[1], now);
    if (!result.ok) {
      if (result.reason === 'expired') {
        throw new ArmError(
          401,
          'ExpiredAuthenticationToken',
          `The access token expiry UTC time '${armTime(Number(result.claims.exp))}' is earlier than current UTC time '${armTime(now)}'.`,
          challenge('The access token has expired.'),
        );
      }
      const msg =
        result.reason === 'signature'
          ? 'The access token has invalid signature.'
          : 'The access token is invalid.';
      throw new ArmError(401, 'InvalidAuthenticationToken', msg, challenge(msg));
    }
    const c = result.claims;
    const aud = typeof c.aud === 'string' ? c.aud : '';
    if (!ARM_AUDIENCES.includes(aud)) {
      throw new ArmError(
        401,
        'InvalidAuthenticationTokenAudience',
        `The access token has been obtained for wrong audience or resource '${aud}'. It should exactly match with one of the allowed audiences '${ARM_AUDIENCES.join("','")}'.`,
        challenge('The access token has been obtained for wrong audience.'),
      );
    }
    const okIssuers = [v1Issuer(state.tenantId), v2Issuer(state.entraUrl, state.tenantId)];
    if (c.tid !== state.tenantId || typeof c.iss !== 'string' || !okIssuers.includes(c.iss)) {
      throw new ArmError(
        401,
        'InvalidAuthenticationTokenTenant',
        `The access token is from the wrong issuer '${String(c.iss)}'. It must match the tenant '${v1Issuer(state.tenantId)}' associated with this subscription. Please use the authority (URL) '${state.entraUrl}/${state.tenantId}' to get the token.`,
        challenge('The access token is from the wrong issuer.'),
      );
    }
    const oid = typeof c.oid === 'string' ? c.oid : '';
    const revokedAt = state.armRevokedAt.get(oid);
    const uti = typeof c.uti === 'string' ? c.uti : '';
    // Tokens the emulator issued are revoked by id; others (evicted from the bounded list) by issue time.
    const revoked =
      state.revokedArmTokens.has(uti) ||
      (revokedAt !== undefined &&
        !state.armTokens.has(uti) &&
        typeof c.iat === 'number' &&
        c.iat < revokedAt);
    if (revoked && revokedAt !== undefined) {
      // Continuous access evaluation: the claims challenge asks for a token issued after the revocation.
      const claims = Buffer.from(
        JSON.stringify({ access_token: { nbf: { essential: true, value: String(revokedAt) } } }),
      ).toString('base64');
      throw new ArmError(
        401,
        'InvalidAuthenticationToken',
        'The access token is invalid. User session has been revoked.',
        `${challenge('User session has been revoked')}, claims="${claims}"`,
      );
    }
    const upn = typeof c.upn === 'string' ? c.upn : typeof c.unique_name === 'string' ? c.unique_name : oid;
    return { oid, upn, user: oid ? findUser(state, oid) : undefined };
  }

  function forbidden(p: Principal, action: string, scope: string): ArmError {
    return new ArmError(
      403,
      'AuthorizationFailed',
      `The client '${p.upn}' with object id '${p.oid}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    );
  }

  function subscriptionFor(p: Principal, id: string, action: string): EmulatorSubscription {
    if (!GUID.test(id))
      throw new ArmError(
        400,
        'InvalidSubscriptionId',
        `The provided subscription identifier '${id}' is malformed or invalid.`,
      );
    const own = p.user?.subscriptions.find((s) => s.subscriptionId.toLowerCase() === id.toLowerCase());
    if (own) return own;
    const exists = state.users.some((u) =>
      u.subscriptions.some((s) => s.subscriptionId.toLowerCase() === id.toLowerCase()),
    );
    if (exists) throw forbidden(p, action, `/subscriptions/${id}`);
    throw new ArmError(404, 'SubscriptionNotFound', `The subscription '${id}' could not be found.`);
  }

  function subscriptionJson(s: EmulatorSubscription): Record<string, unknown> {
    return {
      id: `/subscriptions/${s.subscriptionId}`,
      authorizationSource: 'RoleBased',
      managedByTenants: [],
      tags: {},
      subscriptionId: s.subscriptionId,
      tenantId: state.tenantId,
      displayName: s.displayName,
      state: s.state ?? 'Enabled',
      subscriptionPolicies: {
        locationPlacementId: 'Public_2014-09-01',
        quotaId: 'PayAsYouGo_2014-09-01',
        spendingLimit: 'Off',
      },
    };
  }

  function page(req: EmuRequest, items: unknown[], extra: Record<string, unknown> = {}): EmuResponse {
    const topRaw = req.url.searchParams.get('$top');
    const top = topRaw !== null && /^\d+$/.test(topRaw) && Number(topRaw) > 0 ? Number(topRaw) : undefined;
    const size = top ?? state.armPageSize;
    let offset = 0;
    const skip = req.url.searchParams.get('$skiptoken');
    if (skip !== null) {
      try {
        const parsed = JSON.parse(Buffer.from(skip, 'base64url').toString('utf8')) as { o?: unknown };
        if (typeof parsed.o !== 'number' || parsed.o < 0) throw new Error('bad');
        offset = parsed.o;
      } catch {
        throw new ArmError(400, 'InvalidSkipToken', `The provided skip token '${skip}' is not valid.`);
      }
    }
    const value = items.slice(offset, offset + size);
    const json: Record<string, unknown> = { ...extra, value };
    if (offset + size < items.length) {
      const next = new URL(`${state.armUrl}${req.url.pathname}`);
      next.searchParams.set('api-version', req.url.searchParams.get('api-version') ?? '');
      if (top !== undefined) next.searchParams.set('$top', String(top));
      next.searchParams.set(
        '$skiptoken',
        Buffer.from(JSON.stringify({ o: offset + size })).toString('base64url'),
      );
      json.nextLink = next.toString();
    }
    return { status: 200, json };
  }

  async function serve(req: EmuRequest, op: Op): Promise<EmuResponse> {
    if (op.kind === 'other') {
      throw new ArmError(
        404,
        'NotFound',
        `The requested resource '${req.path}' is not supported by the emulator.`,
      );
    }
    const p = await authenticate(req);
    if (!req.url.searchParams.get('api-version')) {
      throw new ArmError(
        400,
        'MissingApiVersionParameter',
        'The api-version query parameter (?api-version=) is required for all requests.',
      );
    }
    const action = ACTIONS[op.kind];
    if (p.user?.armForbidden) {
      throw forbidden(p, action, op.kind === 'subscriptions' ? '/subscriptions' : `/subscriptions/${op.sub}`);
    }
    if (op.kind === 'subscriptions') {
      const subs = (p.user?.subscriptions ?? []).map(subscriptionJson);
      return page(req, subs, { count: { type: 'Total', value: subs.length } });
    }
    const sub = subscriptionFor(p, op.sub, action);
    const subId = sub.subscriptionId;
    const groups = sub.resourceGroups ?? [];
    const findGroup = (name: string) => {
      const g = groups.find((x) => x.name.toLowerCase() === name.toLowerCase());
      if (!g)
        throw new ArmError(404, 'ResourceGroupNotFound', `Resource group '${name}' could not be found.`);
      return g;
    };
    const groupJson = (g: (typeof groups)[number]) => ({
      id: `/subscriptions/${subId}/resourceGroups/${g.name}`,
      name: g.name,
      type: 'Microsoft.Resources/resourceGroups',
      location: g.location,
      properties: { provisioningState: 'Succeeded' },
    });
    switch (op.kind) {
      case 'subscription':
        return { status: 200, json: subscriptionJson(sub) };
      case 'resourcegroups':
        return page(req, groups.map(groupJson));
      case 'resourcegroup':
        return { status: 200, json: groupJson(findGroup(op.rg)) };
      case 'resources': {
        const inScope = op.rg !== undefined ? [findGroup(op.rg)] : groups;
        const resources = inScope.flatMap((g) =>
          (g.resources ?? []).map((r) => ({
            id: `/subscriptions/${subId}/resourceGroups/${g.name}/providers/${r.type}/${r.name}`,
            name: r.name,
            type: r.type,
            location: r.location,
            tags: {},
          })),
        );
        return page(req, resources);
      }
    }
  }

  return {
    classify(req) {
      const op = parseOp(req);
      return op.kind === 'other' ? 'arm.other' : `arm.${op.kind}`;
    },

    async handle(req) {
      try {
        return await serve(req, parseOp(req));
      } catch (err) {
        if (!(err instanceof ArmError)) throw err;
        const headers: Record<string, string> = err.wwwAuthenticate
          ? { 'WWW-Authenticate': err.wwwAuthenticate }
          : {};
        return { status: err.status, headers, json: { error: { code: err.code, message: err.message } } };
      }
    },

    faultResponse(req, status, body) {
      if (body !== undefined) return { status, json: body };
      const op = parseOp(req);
      const subScoped = op.kind !== 'other' && op.kind !== 'subscriptions';
      if (status === 429) {
        const code = subScoped ? 'SubscriptionRequestsThrottled' : 'TenantRequestsThrottled';
        const scope = subScoped ? `subscription '${op.sub}'` : `tenant '${state.tenantId}'`;
        return {
          status,
          json: {
            error: {
              code,
              message: `Number of 'read' requests for ${scope} exceeded the limit of '12000' for time interval '01:00:00'. Please try again after the time given in the Retry-After header.`,
            },
          },
        };
      }
      const code =
        status === 503
          ? 'ServiceUnavailable'
          : status === 504
            ? 'GatewayTimeout'
            : status >= 500
              ? 'InternalServerError'
              : 'BadRequest';
      return {
        status,
        json: {
          error: {
            code,
            message: `Encountered an injected error (${status}). Tracking id '${randomUUID()}'.`,
          },
        },
      };
    },

    commonHeaders(req) {
      const op = parseOp(req);
      const reads =
        op.kind === 'subscriptions' || op.kind === 'other'
          ? 'x-ms-ratelimit-remaining-tenant-reads'
          : 'x-ms-ratelimit-remaining-subscription-reads';
      const requestId = randomUUID();
      return {
        'Cache-Control': 'no-cache',
        Pragma: 'no-cache',
        Expires: '-1',
        'x-ms-request-id': requestId,
        'x-ms-correlation-request-id': req.header('x-ms-correlation-request-id') ?? requestId,
        'x-ms-routing-request-id': `WESTEUROPE:${new Date().toISOString().replace(/[-:]|\.\d+/g, '')}:${requestId}`,
        [reads]: '11999',
        'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
        'X-Content-Type-Options': 'nosniff',
      };
    },
  };
}
