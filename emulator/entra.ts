// Emulated Entra ID: OpenID discovery (v1 and v2), JWKS, the v2.0 token and device code endpoints, and a
// minimal /devicelogin form. Discovery documents follow
//   https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc#fetch-the-openid-configuration-document
import { randomUUID } from 'node:crypto';
import { Errors, OAuthError, correlationIdOf, entraErrorResponse } from './entra-errors.js';
import { authorize, signInErrorPage } from './entra-authorize.js';
import {
  DEVICE_CODE_GRANTS,
  JWT_BEARER,
  approveDeviceCode,
  authorizationCodeGrant,
  clientAuthKind,
  deviceAuthorization,
  deviceCodeGrant,
  oboGrant,
  refreshTokenGrant,
} from './entra-token.js';
import type { EmuRequest, EmuResponse, ServiceHandler } from './http.js';
import { v1Issuer, v2Issuer } from './tokens.js';
import type { EmulatorState } from './types.js';

const TENANT_ALIASES = new Set(['common', 'organizations']);

interface Route {
  tenant: string;
  rest: string;
}

function route(req: EmuRequest): Route {
  const [, tenant = '', ...rest] = req.path.split('/');
  return { tenant, rest: rest.join('/').toLowerCase() };
}

function tokenCountKey(form: URLSearchParams): string {
  const grant = form.get('grant_type') ?? '';
  if (grant === JWT_BEARER && form.get('requested_token_use') === 'on_behalf_of') return 'entra.token.obo';
  if (DEVICE_CODE_GRANTS.has(grant)) return 'entra.token.device_code';
  if (grant === 'refresh_token') return 'entra.token.refresh_token';
  if (grant === 'authorization_code') return 'entra.token.authorization_code';
  return 'entra.token.other';
}

export function createEntraHandler(state: EmulatorState): ServiceHandler {
  /** The tenant as written in the URL, when it is ours or an alias; otherwise AADSTS90002. */
  function checkTenant(tenant: string, allowAlias: boolean): string {
    if (tenant.toLowerCase() === state.tenantId.toLowerCase()) return state.tenantId;
    if (allowAlias && TENANT_ALIASES.has(tenant.toLowerCase())) return tenant.toLowerCase();
    throw Errors.invalidTenant(tenant);
  }

  function v2Discovery(tenant: string): Record<string, unknown> {
    const base = `${state.entraUrl}/${tenant}`;
    const issuerTenant = TENANT_ALIASES.has(tenant) ? '{tenantid}' : tenant;
    return {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: v2Issuer(state.entraUrl, issuerTenant),
      request_uri_parameter_supported: false,
      userinfo_endpoint: 'https://graph.microsoft.com/oidc/userinfo',
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      claims_supported: [
        'sub',
        'iss',
        'cloud_instance_name',
        'cloud_instance_host_name',
        'cloud_graph_host_name',
        'msgraph_host',
        'aud',
        'exp',
        'iat',
        'auth_time',
        'acr',
        'nonce',
        'preferred_username',
        'name',
        'tid',
        'ver',
        'at_hash',
        'c_hash',
        'email',
      ],
      kerberos_endpoint: `${base}/kerberos`,
      tenant_region_scope: 'EU',
      cloud_instance_name: 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com',
      rbac_url: 'https://pas.windows.net',
    };
  }

  function v1Discovery(tenant: string): Record<string, unknown> {
    const base = `${state.entraUrl}/${tenant}`;
    const issuerTenant = TENANT_ALIASES.has(tenant) ? '{tenantid}' : tenant;
    return {
      token_endpoint: `${base}/oauth2/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${base}/discovery/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'token id_token', 'token'],
      scopes_supported: ['openid'],
      issuer: v1Issuer(issuerTenant),
      microsoft_multi_refresh_token: true,
      authorization_endpoint: `${base}/oauth2/authorize`,
      device_authorization_endpoint: `${base}/oauth2/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/oauth2/logout`,
      claims_supported: [
        'sub',
        'iss',
        'cloud_instance_name',
        'cloud_instance_host_name',
        'cloud_graph_host_name',
        'msgraph_host',
        'aud',
        'exp',
        'iat',
        'auth_time',
        'acr',
        'amr',
        'nonce',
        'email',
        'given_name',
        'family_name',
        'nickname',
      ],
      check_session_iframe: `${base}/oauth2/checksession`,
      userinfo_endpoint: `${base}/openid/userinfo`,
      kerberos_endpoint: `${base}/kerberos`,
      tenant_region_scope: 'EU',
      cloud_instance_name: 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com',
      rbac_url: 'https://pas.windows.net',
    };
  }

  function jwks(tenant: string, v2: boolean): Record<string, unknown> {
    const issuerTenant = TENANT_ALIASES.has(tenant) ? '{tenantid}' : tenant;
    const key = v2
      ? { ...state.key.jwk, issuer: v2Issuer(state.entraUrl, issuerTenant) }
      : { ...state.key.jwk };
    return { keys: [key] };
  }

  function record(req: EmuRequest, grantType: string, ok: boolean, err?: OAuthError): void {
    const form = req.form();
    state.tokenRequests.push({
      grantType,
      paramNames: [...new Set(form.keys())].sort(),
      clientAuth: clientAuthKind(form),
      ok,
      ...(err ? { error: err.error, errorCode: err.code } : {}),
    });
  }

  async function tokenEndpoint(req: EmuRequest): Promise<EmuResponse> {
    const form = req.form();
    const grant = form.get('grant_type') ?? '';
    try {
      checkTenant(route(req).tenant, true);
      let body;
      if (grant === JWT_BEARER && form.get('requested_token_use') === 'on_behalf_of')
        body = await oboGrant(state, form);
      else if (DEVICE_CODE_GRANTS.has(grant)) body = await deviceCodeGrant(state, form);
      else if (grant === 'refresh_token') body = await refreshTokenGrant(state, form);
      else if (grant === 'authorization_code') body = await authorizationCodeGrant(state, form);
      else if (!grant) throw Errors.missingParam('grant_type');
      else throw Errors.unsupportedGrant(grant);
      record(req, grant, true);
      return { status: 200, json: body, headers: noStore() };
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err;
      record(req, grant, false, err);
      return { ...entraErrorResponse(req, state.entraUrl, err), headers: noStore() };
    }
  }

  function deviceCodeEndpoint(req: EmuRequest): EmuResponse {
    try {
      checkTenant(route(req).tenant, true);
      const json = deviceAuthorization(state, req.form());
      record(req, 'devicecode', true);
      return { status: 200, json, headers: noStore() };
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err;
      record(req, 'devicecode', false, err);
      return entraErrorResponse(req, state.entraUrl, err);
    }
  }

  function deviceLogin(req: EmuRequest): EmuResponse {
    if (req.method === 'POST') {
      const form = req.form();
      try {
        approveDeviceCode(state, form.get('user_code') ?? '', form.get('user') ?? '');
        return { status: 200, text: 'Approved. You can close this window.' };
      } catch (err) {
        return { status: 400, text: err instanceof Error ? err.message : 'Bad request' };
      }
    }
    return {
      status: 200,
      contentType: 'text/html; charset=utf-8',
      text:
        '<!doctype html><title>Emulated device login</title><form method="post">' +
        '<label>Code <input name="user_code"></label> <label>User (oid or UPN) <input name="user"></label>' +
        '<button>Approve</button></form>',
    };
  }

  return {
    classify(req) {
      if (req.path.toLowerCase() === '/devicelogin') return 'entra.devicelogin';
      const { rest } = route(req);
      switch (rest) {
        case 'v2.0/.well-known/openid-configuration':
          return 'entra.discovery.v2';
        case '.well-known/openid-configuration':
          return 'entra.discovery.v1';
        case 'discovery/v2.0/keys':
        case 'discovery/keys':
          return 'entra.jwks';
        case 'oauth2/v2.0/token':
          return req.method === 'POST' ? tokenCountKey(req.form()) : 'entra.other';
        case 'oauth2/v2.0/devicecode':
          return 'entra.devicecode';
        case 'oauth2/v2.0/authorize':
          return 'entra.authorize';
        default:
          return 'entra.other';
      }
    },

    async handle(req) {
      if (req.path.toLowerCase() === '/devicelogin') return deviceLogin(req);
      const { tenant, rest } = route(req);
      try {
        if (req.method === 'GET') {
          switch (rest) {
            case 'v2.0/.well-known/openid-configuration':
              return { status: 200, json: v2Discovery(checkTenant(tenant, true)) };
            case '.well-known/openid-configuration':
              return { status: 200, json: v1Discovery(checkTenant(tenant, true)) };
            case 'discovery/v2.0/keys':
              return { status: 200, json: jwks(checkTenant(tenant, true), true) };
            case 'discovery/keys':
              return { status: 200, json: jwks(checkTenant(tenant, true), false) };
            case 'oauth2/v2.0/authorize':
              try {
                checkTenant(tenant, true);
              } catch (err) {
                if (err instanceof OAuthError) return signInErrorPage(req, err);
                throw err;
              }
              return authorize(state, req);
          }
        }
        if (req.method === 'POST' && rest === 'oauth2/v2.0/token') return await tokenEndpoint(req);
        if (req.method === 'POST' && rest === 'oauth2/v2.0/devicecode') return deviceCodeEndpoint(req);
      } catch (err) {
        if (err instanceof OAuthError) return entraErrorResponse(req, state.entraUrl, err);
        throw err;
      }
      return { status: 404, text: 'Not Found' };
    },

    faultResponse(req, status, body) {
      if (body !== undefined) return { status, json: body };
      const err =
        status === 429
          ? Errors.throttled()
          : status >= 500
            ? Errors.unavailable(status)
            : new OAuthError(status, 'invalid_request', 90014, 'Injected fault.');
      return entraErrorResponse(req, state.entraUrl, err);
    },

    commonHeaders(req) {
      return {
        'x-ms-request-id': randomUUID(),
        'client-request-id': correlationIdOf(req),
        'x-ms-ests-server': 'emulator',
        'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
        'X-Content-Type-Options': 'nosniff',
      };
    },
  };
}

function noStore(): Record<string, string> {
  return { 'Cache-Control': 'no-store, no-cache', Pragma: 'no-cache' };
}
