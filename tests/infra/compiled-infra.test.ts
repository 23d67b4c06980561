// Checks the compiled ARM template (infra/main.bicep built offline by scripts/infra/bicep.mjs) for the
// security shape of the Entra app registrations and for the custom-domain wiring: a confidential API app
// whose `execute` scope only an admin can consent to, a separate public CLI app that may request only that
// scope plus the sign-in scopes and is pre-authorized for `execute`, the optional admin consent grants, and
// host name binding, managed certificate and settings that exist only when a custom domain is given.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { compileMain } from './compiled.js';

const root = join(import.meta.dirname, '..', '..');

const VS_CODE = 'aebc6443-996d-45c2-90f0-388ff96faa56';
const AZURE_SERVICE_MANAGEMENT = '797f4846-ba00-4fd7-ba43-dac1f8f63013';
const MICROSOFT_GRAPH = '00000003-0000-0000-c000-000000000000';
// Microsoft Graph delegated permission IDs (Microsoft Graph permissions reference, "All permissions and IDs").
const GRAPH_SIGN_IN_SCOPES = {
  offline_access: '7427e0e9-2fba-42fe-b0c0-848c9e6a8182',
  openid: '37f7f235-527c-4136-accd-4a02d197296e',
  profile: '14dad69e-099b-42c9-810b-d002981feec1',
};

type Json = Record<string, unknown>;
interface Deployment {
  parameters: Record<string, { value?: unknown } | string>;
  template: { variables?: Json; resources: Record<string, Json>; outputs?: Record<string, Json> };
}

let template: Deployment['template'];

before(() => {
  template = compileMain<Deployment['template']>();
});

/** A module (nested deployment) of main.bicep by its symbolic name. */
function deployment(name: string): Deployment {
  const resource = template.resources[name];
  assert.ok(resource, `main.bicep has module ${name}`);
  return resource.properties as Deployment;
}

function resources(d: Deployment, type: string): [string, Json][] {
  return Object.entries(d.template.resources).filter(([, r]) => String(r.type).startsWith(type));
}

const props = (r: Json): Json => r.properties as Json;
const text = (value: unknown): string => JSON.stringify(value);

/** The Graph scopes both apps request (variable signInGraphScopes). */
function signInGraphScopes(): Record<string, string> {
  const variables = deployment('entraApp').template.variables ?? {};
  return variables.signInGraphScopes as Record<string, string>;
}

/** The one Graph entry of requiredResourceAccess both apps use (variable signInGraphAccess). */
const SIGN_IN_GRAPH_ACCESS = "[variables('signInGraphAccess')]";

describe('Entra app registrations (compiled)', () => {
  const apps = () => resources(deployment('entraApp'), 'Microsoft.Graph/applications@');
  const isCli = (r: Json) => /-cli'|reference\('cliApp'\)/.test(text(props(r).uniqueName));
  const cliApps = () => apps().filter(([, r]) => isCli(r));
  const apiApps = () => apps().filter(([, r]) => !isCli(r));

  it('declares the API app and the CLI app, two passes each', () => {
    assert.equal(apps().length, 4);
    assert.equal(apiApps().length, 2);
    assert.equal(cliApps().length, 2);
  });

  it('makes the API app a confidential client in every pass', () => {
    for (const [name, app] of apiApps()) {
      const p = props(app);
      assert.equal(p.isFallbackPublicClient, false, `${name}: no public client flows`);
      assert.deepEqual(p.publicClient, { redirectUris: [] }, `${name}: no public-client redirect URIs`);
      assert.ok(!('spa' in p) && !('web' in p), `${name}: no other redirect platforms`);
    }
    // Its permissions are declared once, by the pass that knows its own appId: the delegated ARM permission the OBO
    // exchange needs, and (for the OAuth proxy's sign-in) its own execute scope.
    const withPermissions = apiApps().filter(([, r]) => 'requiredResourceAccess' in props(r));
    assert.equal(withPermissions.length, 1);
    const permissions = text(props(withPermissions[0]![1]).requiredResourceAccess);
    assert.match(
      permissions,
      /^"\[concat\(variables\('requiredResourceAccess'\), if\(parameters\('signInToSelf'\)/,
    );
    assert.match(
      permissions,
      /'resourceAppId', reference\('app'\)\.appId.*parameters\('executeScopeId'\), 'type', 'Scope'/,
    );
    const variables = deployment('entraApp').template.variables ?? {};
    assert.match(text(variables.requiredResourceAccess), /azureServiceManagementAppId/);
    assert.equal(variables.azureServiceManagementAppId, AZURE_SERVICE_MANAGEMENT);
  });

  it("gives the API app only the OAuth proxy's https callback as Web redirect URI, on the app's own host names", () => {
    const redirects = deployment('entraAppRedirects');
    const [[, app]] = resources(redirects, 'Microsoft.Graph/applications@') as [[string, Json]];
    assert.deepEqual(Object.keys(props(app)).sort(), ['displayName', 'uniqueName', 'web']);
    assert.equal(props(app).uniqueName, "[parameters('uniqueName')]");
    assert.deepEqual((props(app).web as Json).redirectUris, "[parameters('redirectUris')]");
    assert.deepEqual((props(app).web as Json).implicitGrantSettings, {
      enableAccessTokenIssuance: false,
      enableIdTokenIssuance: false,
    });
    const callbacks = text(redirects.parameters.redirectUris);
    assert.match(callbacks, /^"\[if\(variables\('useProxy'\), /);
    assert.match(
      callbacks,
      /format\('https:\/\/\{0\}\/oauth\/callback', reference\('functionApp'\)\.outputs\.defaultHostName\.value\)/,
    );
    assert.match(callbacks, /format\('https:\/\/\{0\}\/oauth\/callback', variables\('customDomainName'\)\)/);
    assert.match(callbacks, /createObject\('value', createArray\(\)\)\)\]"$/, 'none when the proxy is off');
  });

  it('the API app requests only what it uses: ARM user_impersonation and the sign-in scopes (no User.Read, no email)', () => {
    const variables = deployment('entraApp').template.variables ?? {};
    const access = variables.requiredResourceAccess as Json[];
    assert.equal(access.length, 2, 'ARM and Graph, nothing else');
    assert.deepEqual(access[0], {
      resourceAppId: "[variables('azureServiceManagementAppId')]",
      resourceAccess: [{ id: "[variables('azureServiceManagementUserImpersonation')]", type: 'Scope' }],
    });
    assert.equal(variables.azureServiceManagementUserImpersonation, '41094075-9dad-400e-a0bd-54e686782033');
    assert.equal(access[1], SIGN_IN_GRAPH_ACCESS);
    assert.deepEqual(signInGraphScopes(), GRAPH_SIGN_IN_SCOPES, 'openid, profile, offline_access only');
    for (const id of ['e1fe6dd8-ba31-4d61-89e7-88639da4683d', '64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0'])
      assert.doesNotMatch(
        text(deployment('entraApp').template),
        new RegExp(id),
        'User.Read / email are gone',
      );
    // The admin consent grants exactly these, tenant-wide.
    const grants = resources(deployment('entraApp'), 'Microsoft.Graph/oauth2PermissionGrants@');
    const graph = grants.filter(([, r]) => props(r).resourceId === "[reference('graphServicePrincipal').id]");
    assert.equal(graph.length, 2, 'API app and CLI app');
    for (const [, grant] of graph)
      assert.equal(props(grant).scope, "[join(objectKeys(variables('signInGraphScopes')), ' ')]");
    const arm = grants.filter(([, r]) => props(r).resourceId === "[reference('armServicePrincipal').id]");
    assert.deepEqual(
      arm.map(([, r]) => props(r).scope),
      ['user_impersonation'],
    );
  });

  it('the API app issues v2 tokens and the server accepts only v2 (ENTRA_ACCEPTED_TOKEN_VERSIONS)', () => {
    const entra = deployment('entraApp').template;
    assert.equal(entra.variables?.accessTokenVersion, 2);
    for (const [name, app] of apiApps())
      assert.equal(
        (props(app).api as Json).requestedAccessTokenVersion,
        "[variables('accessTokenVersion')]",
        name,
      );
    assert.equal(entra.outputs?.accessTokenVersion?.value, "[variables('accessTokenVersion')]");
    const settings = props(deployment('functionApp').template.resources.appSettings!);
    assert.equal(settings.ENTRA_ACCEPTED_TOKEN_VERSIONS, "[parameters('server').acceptedTokenVersions]");
    assert.match(
      text(deployment('functionApp').parameters.server),
      /"acceptedTokenVersions":"\[string\(reference\('entraApp'\)\.outputs\.accessTokenVersion\.value\)\]"/,
    );
  });

  it('makes the CLI a public client that may request only the API execute scope and the sign-in scopes', () => {
    for (const [name, app] of cliApps()) {
      const p = props(app);
      assert.equal(p.isFallbackPublicClient, true, `${name}: device code`);
      assert.ok(!('api' in p), `${name}: exposes no API`);
      assert.doesNotMatch(text(p), new RegExp(AZURE_SERVICE_MANAGEMENT), `${name}: no ARM permission`);
    }
    const withPermission = cliApps().filter(([, r]) => 'requiredResourceAccess' in props(r));
    assert.equal(withPermission.length, 1, 'the second pass carries the permission');
    assert.deepEqual(props(withPermission[0]![1]).requiredResourceAccess, [
      {
        resourceAppId: "[reference('app').appId]",
        resourceAccess: [{ id: "[parameters('executeScopeId')]", type: 'Scope' }],
      },
      SIGN_IN_GRAPH_ACCESS,
    ]);
    const variables = deployment('entraApp').template.variables ?? {};
    assert.equal(variables.microsoftGraphAppId, MICROSOFT_GRAPH);
    assert.deepEqual(variables.signInGraphAccess, {
      resourceAppId: "[variables('microsoftGraphAppId')]",
      resourceAccess:
        "[map(items(variables('signInGraphScopes')), lambda('scope', createObject('id', lambdaVariables('scope').value, 'type', 'Scope')))]",
    });
    assert.deepEqual(
      signInGraphScopes(),
      GRAPH_SIGN_IN_SCOPES,
      'openid, profile, offline_access and nothing else',
    );
    assert.deepEqual(deployment('entraApp').parameters.cliRedirectUris, { value: ['http://localhost'] });
    const principals = resources(deployment('entraApp'), 'Microsoft.Graph/servicePrincipals@').filter(
      ([, r]) => !r.existing,
    );
    assert.ok(principals.some(([, r]) => text(r).includes("reference('cliAppWithPermission').appId")));
  });

  it('pre-authorizes the CLI app, VS Code and the additional client apps for execute only', () => {
    for (const [name, app] of apiApps()) {
      const api = props(app).api as Json;
      const scopes = api.oauth2PermissionScopes as Json[];
      assert.equal(scopes.length, 1, `${name}: one scope`);
      // No user can consent a (phishing) client app into `execute`; the legitimate ones are pre-authorized.
      assert.equal(scopes[0]!.type, 'Admin', `${name}: execute needs admin consent`);
      assert.equal(scopes[0]!.isEnabled, true, `${name}: execute is enabled`);
      const preAuthorized = text(api.preAuthorizedApplications);
      assert.match(preAuthorized, /reference\('cliApp'\)\.appId/, `${name}: the CLI app`);
      assert.match(preAuthorized, /parameters\('preAuthorizedClientIds'\)/, `${name}: the others`);
      assert.match(preAuthorized, /delegatedPermissionIds',\s*createArray\(parameters\('executeScopeId'\)\)/);
    }
    const passed = text(deployment('entraApp').parameters.preAuthorizedClientIds);
    assert.match(
      passed,
      new RegExp(`variables\\('vsCodeClientIds'\\).*parameters\\('additionalClientIds'\\)`),
    );
    assert.equal(template.variables?.vsCodeClientId, VS_CODE);
  });

  it('pre-authorizes and allows VS Code only with allowVsCode, which is on by default', () => {
    const parameters = (template as unknown as { parameters: Record<string, Json> }).parameters;
    assert.deepEqual(
      { type: parameters.allowVsCode?.type, defaultValue: parameters.allowVsCode?.defaultValue },
      { type: 'bool', defaultValue: true },
    );
    assert.equal(
      template.variables?.vsCodeClientIds,
      "[if(parameters('allowVsCode'), createArray(variables('vsCodeClientId')), createArray())]",
    );
    // Both lists take VS Code from that variable only: pre-authorization and ENTRA_ALLOWED_CLIENT_IDS.
    const server = text(deployment('functionApp').parameters.server);
    assert.match(
      server,
      /union\(createArray\(reference\('entraApp'\)\.outputs\.cliAppId\.value\), variables\('vsCodeClientIds'\)/,
    );
    for (const used of [server, text(deployment('entraApp').parameters.preAuthorizedClientIds)])
      assert.doesNotMatch(used, /variables\('vsCodeClientId'\)/);
    const azdParameters = JSON.parse(readFileSync(join(root, 'infra', 'main.parameters.json'), 'utf8')) as {
      parameters: Record<string, { value: unknown }>;
    };
    assert.equal(azdParameters.parameters.allowVsCode?.value, '${MCP_ALLOW_VSCODE=true}');
  });

  it('grants admin consent, when asked, to the API app (OBO) and to the CLI app sign-in scopes', () => {
    const grants = resources(deployment('entraApp'), 'Microsoft.Graph/oauth2PermissionGrants@');
    const byClient = (servicePrincipal: string) =>
      grants.filter(([, r]) => props(r).clientId === `[reference('${servicePrincipal}').id]`);
    for (const [name, grant] of grants) {
      assert.match(
        String(grant.condition),
        /parameters\('grantAdminConsent'\)/,
        `${name}: only with grantAdminConsent`,
      );
      assert.equal(props(grant).consentType, 'AllPrincipals', `${name}: tenant-wide`);
    }
    assert.equal(byClient('servicePrincipal').length, 3, 'API app: ARM, Graph and its own execute');
    const self = deployment('entraApp').template.resources.selfConsent!;
    assert.equal(props(self).resourceId, "[reference('servicePrincipal').id]");
    assert.equal(props(self).scope, "[parameters('scopeValue')]");
    const cli = byClient('cliServicePrincipal');
    // Graph only: `execute` is pre-authorized for the CLI app, which needs no consent.
    assert.equal(cli.length, 1, 'CLI app: one grant');
    const [, cliGrant] = cli[0]!;
    assert.equal(props(cliGrant).resourceId, "[reference('graphServicePrincipal').id]");
    assert.equal(props(cliGrant).scope, "[join(objectKeys(variables('signInGraphScopes')), ' ')]");
    assert.deepEqual(Object.keys(signInGraphScopes()).sort(), ['offline_access', 'openid', 'profile']);
    const graph = deployment('entraApp').template.resources.graphServicePrincipal!;
    assert.equal(graph.existing, true);
    assert.equal(props(graph).appId, "[variables('microsoftGraphAppId')]");
  });

  it('adds https://<custom domain>/mcp to the identifier URIs only with a custom domain', () => {
    const [[, second]] = apiApps().filter(([, r]) => 'identifierUris' in props(r)) as [[string, Json]];
    assert.match(text(props(second).identifierUris), /api:\/\/.*parameters\('extraIdentifierUris'\)/);
    assert.match(
      text(deployment('entraApp').parameters.extraIdentifierUris),
      /if\(empty\(variables\('customDomainAppIdUri'\)\), createObject\('value', createArray\(\)\)/,
    );
    assert.match(text(template.variables?.customDomainAppIdUri), /https:\/\/\{0\}\/mcp/);
  });
});

describe('Function App (compiled)', () => {
  const functionApp = () => deployment('functionApp');

  it('binds the custom domain with a managed certificate and SNI only when one is set', () => {
    const conditional = ['customHostName', 'customDomainCertificate', 'customDomainTls'];
    for (const name of conditional) {
      const resource = functionApp().template.resources[name];
      assert.ok(resource, `${name} exists`);
      assert.equal(resource.condition, "[variables('hasCustomDomain')]", `${name} is conditional`);
    }
    const certificate = functionApp().template.resources.customDomainCertificate!;
    assert.equal(certificate.type, 'Microsoft.Web/sites/certificates');
    assert.deepEqual(props(certificate), { canonicalName: "[parameters('customDomain')]" });
    const tls = props(functionApp().template.resources.customDomainTls!) as unknown as Deployment;
    const [binding] = Object.values(tls.template.resources);
    assert.equal(props(binding!).sslState, 'SniEnabled');
    assert.match(text(tls.parameters.thumbprint), /customDomainCertificate.*thumbprint/);
    const site = Object.values(functionApp().template.resources).find(
      (r) => r.type === 'Microsoft.Web/sites',
    )!;
    assert.equal(props(site).siteScopedCertificatesEnabled, true);
    assert.equal(props(site).httpsOnly, true);
  });

  it('points MCP_PUBLIC_URL and ENTRA_APP_ID_URI at the custom domain when set, else the defaults', () => {
    const settings = props(functionApp().template.resources.appSettings!);
    assert.match(
      text(settings.MCP_PUBLIC_URL),
      /if\(variables\('hasCustomDomain'\), parameters\('customDomain'\)/,
    );
    assert.equal(settings.ENTRA_APP_ID_URI, "[parameters('server').appIdUri]");
    const server = text(functionApp().parameters.server);
    assert.match(
      server,
      /"appIdUri":"\[if\(empty\(variables\('customDomainAppIdUri'\)\), reference\('entraApp'\)\.outputs\.identifierUri\.value, variables\('customDomainAppIdUri'\)\)\]"/,
    );
    assert.match(text(deployment('entraApp').template.outputs?.identifierUri), /api:\/\/\{0\}/);
  });

  it('always sets ENTRA_ALLOWED_CLIENT_IDS to the CLI app, VS Code (allowVsCode) and the additional client apps', () => {
    const settings = props(functionApp().template.resources.appSettings!);
    assert.equal(settings.ENTRA_ALLOWED_CLIENT_IDS, "[parameters('server').allowedClientIds]");
    assert.match(
      text(functionApp().parameters.server),
      /join\(union\(createArray\(reference\('entraApp'\)\.outputs\.cliAppId\.value\), variables\('vsCodeClientIds'\), parameters\('additionalClientIds'\)\), ','\)/,
    );
  });

  it('bounds request bodies in the host and the server with one parameter, the host above the server', () => {
    const settings = props(functionApp().template.resources.appSettings!);
    assert.equal(settings.FUNCTIONS_REQUEST_BODY_SIZE_LIMIT, "[string(variables('hostBodyLimitBytes'))]");
    assert.equal(settings.MCP_MAX_BODY_BYTES, "[string(parameters('server').maxBodyBytes)]");
    assert.equal(
      functionApp().template.variables?.hostBodyLimitBytes,
      "[mul(parameters('server').maxBodyBytes, 2)]",
    );
  });

  it('sets the platform CORS allowed origins from the MCP_ALLOWED_ORIGINS parameter, without credentials', () => {
    const site = Object.values(functionApp().template.resources).find(
      (r) => r.type === 'Microsoft.Web/sites',
    )!;
    const siteConfig = props(site).siteConfig as Json;
    assert.deepEqual(siteConfig.cors, {
      allowedOrigins: "[variables('corsAllowedOrigins')]",
      supportCredentials: false,
    });
    assert.match(
      text(functionApp().template.variables?.corsAllowedOrigins),
      /split\(parameters\('server'\)\.allowedOrigins, ','\)/,
    );
    const settings = props(functionApp().template.resources.appSettings!);
    assert.equal(settings.MCP_ALLOWED_ORIGINS, "[parameters('server').allowedOrigins]");
    assert.match(
      text(functionApp().parameters.server),
      /"allowedOrigins":"\[parameters\('mcpAllowedOrigins'\)\]"/,
    );
    assert.equal(
      (template as { parameters?: Record<string, Json> }).parameters?.mcpAllowedOrigins?.defaultValue,
      '',
    );
  });

  it('turns the OAuth proxy on by default, its keys read from Key Vault by the app identity', () => {
    const parameters = (template as unknown as { parameters: Record<string, Json> }).parameters;
    assert.equal(parameters.oauthProxy?.defaultValue, 'on');
    assert.deepEqual(parameters.oauthProxy?.allowedValues, ['on', 'off']);
    const settings = props(functionApp().template.resources.appSettings!);
    assert.equal(settings.MCP_OAUTH_PROXY, "[parameters('server').oauthProxy]");
    assert.equal(settings.MCP_OAUTH_PROXY_KEY_SECRET_NAME, "[parameters('server').oauthProxyKeySecretName]");
    assert.ok(!('MCP_OAUTH_PROXY_KEY' in settings), 'no key in the app settings');
    const server = text(functionApp().parameters.server);
    assert.match(server, /"keyVaultUrl":"\[if\(or\(variables\('useKeyVault'\), variables\('useProxy'\)\)/);
    assert.match(
      text(deployment('keyVault').parameters.grantSecretAccess),
      /or\(variables\('useKeyVault'\), variables\('useProxy'\)\)/,
    );
    assert.equal(parameters.oauthProxyKeySecretName?.defaultValue, 'mcp-oauth-proxy-key');
  });

  it('outputs the CLI app id, the Application ID URI and what DNS needs', () => {
    for (const name of [
      'ENTRA_CLI_CLIENT_ID',
      'ENTRA_APP_ID_URI',
      'ENTRA_ALLOWED_CLIENT_IDS',
      'MCP_CUSTOM_DOMAIN',
      'AZURE_FUNCTION_APP_DEFAULT_HOST_NAME',
      'CUSTOM_DOMAIN_VERIFICATION_ID',
    ]) {
      assert.ok(template.outputs?.[name], `output ${name}`);
    }
    assert.match(text(template.outputs?.MCP_URL), /publicHostName/);
  });
});
