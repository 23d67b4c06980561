// Entra ID app registrations (Microsoft Graph Bicep extension):
// - the MCP server's API app: a confidential client (no public client flows, no public-client redirect URIs),
//   so nobody can sign in *as* it with device code and get ARM tokens directly. It exposes `execute`, holds
//   the delegated ARM permission for On-Behalf-Of and the sign-in scopes (Graph openid, profile,
//   offline_access) — nothing it does not use — and pre-authorizes the client apps below;
// - the CLI app: a public client (device code, loopback redirect) whose permissions are the API's `execute`
//   scope and the sign-in scopes MSAL always asks for (Graph openid, profile, offline_access) — no ARM
//   permission and no Graph data access, so its access tokens are good for this API and nothing else;
// plus their service principals and, in managed-identity mode, the federated identity credential that lets
// the Function App's user-assigned identity act as the API app's client credential (no secret).
//
// Each app is declared twice with the same uniqueName, because two values exist only after a first pass:
// the API's identifier URI api://<appId> needs its own appId, the CLI's requiredResourceAccess needs the
// API's appId, and the API's pre-authorization needs the CLI's appId. Order: CLI (pass 1) -> API (pass 1,
// pre-authorizes the CLI) -> CLI (pass 2, permission on the API) -> API (pass 2, identifier URIs and
// permissions, its own scope among them for the OAuth proxy's sign-in). infra/modules/entra-app-redirects.bicep
// adds the API app's Web redirect URI (the proxy's callback) once the Function App's host name exists.
// Graph applies only the properties a declaration sets, so a first pass leaves out what it cannot know yet
// (identifierUris, requiredResourceAccess) instead of clearing it, and every property a pass does set
// carries its full value: no re-deployment undoes, even briefly, what the other pass set.

extension microsoftGraphV1

@description('Immutable tenant-unique key of the app registration (Graph uniqueName).')
param uniqueName string

@description('Display name of the app registration.')
param displayName string

@description('Stable GUID of the delegated scope `execute`. Keep it across deployments: tokens and grants refer to it.')
param executeScopeId string

@description('Value of the delegated scope the server requires (ENTRA_REQUIRED_SCOPE).')
param scopeValue string

@description('Client application IDs pre-authorized for the scope (no consent prompt), besides the CLI app created here.')
param preAuthorizedClientIds string[]

@description('Application ID URIs besides api://<appId>, e.g. https://<custom domain>/mcp (must be on a verified domain of the tenant).')
param extraIdentifierUris string[]

@description('Redirect URIs of the CLI app (public client): loopback for interactive sign-in. Device code needs none.')
param cliRedirectUris string[]

@description('Object ID to add as an owner of the app registration (the deploying principal), so it can manage credentials later. Empty: none.')
param ownerObjectId string

@description('Create the federated identity credential trusting the managed identity (OBO_CREDENTIAL=managed-identity).')
param createFederatedCredential bool

@description('Principal (object) ID of the user-assigned managed identity: subject of the federated credential.')
param managedIdentityPrincipalId string

@description('The OAuth proxy signs users in to the API app itself (scope execute, offline_access): the app lists its own scope among its permissions, and admin consent, when granted, covers it.')
param signInToSelf bool

@description('Grant tenant-wide admin consent for the delegated permissions of the API app (ARM user_impersonation for OBO, the sign-in scopes) and the sign-in scopes of the CLI app. Needs a deployer allowed to grant consent (e.g. Privileged Role Administrator or Cloud Application Administrator with DelegatedPermissionGrant.ReadWrite.All).')
param grantAdminConsent bool

// Well-known first-party application IDs and delegated permission (scope) IDs (Microsoft Graph's: "All
// permissions and IDs" of the Microsoft Graph permissions reference).
var azureServiceManagementAppId = '797f4846-ba00-4fd7-ba43-dac1f8f63013'
var azureServiceManagementUserImpersonation = '41094075-9dad-400e-a0bd-54e686782033'
var microsoftGraphAppId = '00000003-0000-0000-c000-000000000000'
// The only Graph permissions either app requests: what MSAL adds to every sign-in (ID token, profile claims,
// refresh token), for the CLI's sign-in and for a sign-in to the API app itself; no Graph data access.
var signInGraphScopes = {
  openid: '37f7f235-527c-4136-accd-4a02d197296e'
  profile: '14dad69e-099b-42c9-810b-d002981feec1'
  offline_access: '7427e0e9-2fba-42fe-b0c0-848c9e6a8182'
}
var signInGraphAccess = {
  resourceAppId: microsoftGraphAppId
  resourceAccess: map(items(signInGraphScopes), scope => {
    id: scope.value
    type: 'Scope'
  })
}

// v2 access tokens only; the server is told to accept nothing else (ENTRA_ACCEPTED_TOKEN_VERSIONS).
var accessTokenVersion = 2

var apiApplication = {
  requestedAccessTokenVersion: accessTokenVersion
  oauth2PermissionScopes: [
    {
      id: executeScopeId
      value: scopeValue
      // Admin: no user can consent a client app into it (consent phishing); every client meant to use it is
      // pre-authorized below, which needs no consent at all.
      type: 'Admin'
      isEnabled: true
      adminConsentDisplayName: 'Use Azure Resource Manager tools as the signed-in user'
      adminConsentDescription: 'Allows the application to call the MCP server, which reads Azure Resource Manager data (subscriptions, resource groups, resources) on behalf of the signed-in user, with that user\'s permissions.'
      userConsentDisplayName: 'Use Azure Resource Manager tools as you'
      userConsentDescription: 'Allows the application to call the MCP server, which reads your Azure subscriptions, resource groups and resources on your behalf, with your permissions.'
    }
  ]
  preAuthorizedApplications: map(concat([cliApp.appId], preAuthorizedClientIds), clientId => {
    appId: clientId
    delegatedPermissionIds: [
      executeScopeId
    ]
  })
}

var requiredResourceAccess = [
  {
    resourceAppId: azureServiceManagementAppId
    resourceAccess: [
      {
        id: azureServiceManagementUserImpersonation
        type: 'Scope'
      }
    ]
  }
  signInGraphAccess
]

var owners = empty(ownerObjectId)
  ? null
  : {
      relationshipSemantics: 'append'
      relationships: [
        ownerObjectId
      ]
    }

// CLI, pass 1: everything but its permission on the API, whose appId does not exist yet.
resource cliApp 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: '${uniqueName}-cli'
  displayName: '${displayName} CLI'
  signInAudience: 'AzureADMyOrg'
  isFallbackPublicClient: true
  publicClient: {
    redirectUris: cliRedirectUris
  }
  owners: owners
}

// API, pass 1: everything but its identifier URIs and its permissions, which name its own appId.
resource app 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: uniqueName
  displayName: displayName
  signInAudience: 'AzureADMyOrg'
  // Explicitly off and empty: Graph keeps what a declaration leaves out, and earlier versions of this
  // template made the API app a public client.
  isFallbackPublicClient: false
  publicClient: {
    redirectUris: []
  }
  api: apiApplication
  owners: owners
}

// CLI, pass 2: may request the API's `execute` scope and the sign-in scopes, nothing else (no ARM, no Graph data).
resource cliAppWithPermission 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: cliApp.uniqueName
  displayName: '${displayName} CLI'
  signInAudience: 'AzureADMyOrg'
  isFallbackPublicClient: true
  publicClient: {
    redirectUris: cliRedirectUris
  }
  owners: owners
  requiredResourceAccess: [
    {
      resourceAppId: app.appId
      resourceAccess: [
        {
          id: executeScopeId
          type: 'Scope'
        }
      ]
    }
    signInGraphAccess
  ]
}

// The OAuth proxy's sign-in asks for the app's own `execute` scope, which only an admin can consent to.
var selfAccess = signInToSelf
  ? [
      {
        resourceAppId: app.appId
        resourceAccess: [
          {
            id: executeScopeId
            type: 'Scope'
          }
        ]
      }
    ]
  : []

// API, pass 2: same app (same uniqueName), now with its identifier URIs and its own scope among its permissions.
resource appWithIdentifierUri 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: app.uniqueName
  displayName: displayName
  signInAudience: 'AzureADMyOrg'
  isFallbackPublicClient: false
  publicClient: {
    redirectUris: []
  }
  api: apiApplication
  requiredResourceAccess: concat(requiredResourceAccess, selfAccess)
  owners: owners
  identifierUris: concat(['api://${app.appId}'], extraIdentifierUris)
}

resource servicePrincipal 'Microsoft.Graph/servicePrincipals@v1.0' = {
  appId: appWithIdentifierUri.appId
}

// Users sign in to the CLI app in this tenant, which needs its service principal.
resource cliServicePrincipal 'Microsoft.Graph/servicePrincipals@v1.0' = {
  appId: cliAppWithPermission.appId
}

resource managedIdentityCredential 'Microsoft.Graph/applications/federatedIdentityCredentials@v1.0' = if (createFederatedCredential) {
  name: '${appWithIdentifierUri.uniqueName}/function-app-managed-identity'
  description: 'The Function App user-assigned managed identity acts as this app\'s client credential for On-Behalf-Of.'
  audiences: [
    'api://AzureADTokenExchange'
  ]
  issuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
  subject: managedIdentityPrincipalId
}

resource armServicePrincipal 'Microsoft.Graph/servicePrincipals@v1.0' existing = {
  appId: azureServiceManagementAppId
}

resource graphServicePrincipal 'Microsoft.Graph/servicePrincipals@v1.0' existing = {
  appId: microsoftGraphAppId
}

resource armConsent 'Microsoft.Graph/oauth2PermissionGrants@v1.0' = if (grantAdminConsent) {
  clientId: servicePrincipal.id
  consentType: 'AllPrincipals'
  resourceId: armServicePrincipal.id
  scope: 'user_impersonation'
}

resource graphConsent 'Microsoft.Graph/oauth2PermissionGrants@v1.0' = if (grantAdminConsent) {
  clientId: servicePrincipal.id
  consentType: 'AllPrincipals'
  resourceId: graphServicePrincipal.id
  scope: join(objectKeys(signInGraphScopes), ' ')
}

// The OAuth proxy signs users in to the API app for its own `execute` (an admin-only scope): consent for it.
resource selfConsent 'Microsoft.Graph/oauth2PermissionGrants@v1.0' = if (grantAdminConsent && signInToSelf) {
  clientId: servicePrincipal.id
  consentType: 'AllPrincipals'
  resourceId: servicePrincipal.id
  scope: scopeValue
}

// The CLI's sign-in scopes, so that users who may not consent can sign in. Its `execute` needs no grant: the
// API pre-authorizes the CLI app for it, and pre-authorized permissions are never consented to.
resource cliGraphConsent 'Microsoft.Graph/oauth2PermissionGrants@v1.0' = if (grantAdminConsent) {
  clientId: cliServicePrincipal.id
  consentType: 'AllPrincipals'
  resourceId: graphServicePrincipal.id
  scope: join(objectKeys(signInGraphScopes), ' ')
}

@description('uniqueName of the API app registration (for later declarations of it).')
output uniqueName string = appWithIdentifierUri.uniqueName

@description('Access token version the API app issues (requestedAccessTokenVersion): ENTRA_ACCEPTED_TOKEN_VERSIONS.')
output accessTokenVersion int = accessTokenVersion

@description('Application (client) ID: ENTRA_CLIENT_ID.')
output appId string = appWithIdentifierUri.appId

@description('Default identifier URI of the app: api://<appId>.')
output identifierUri string = 'api://${app.appId}'

@description('Application (client) ID of the CLI app: ENTRA_CLI_CLIENT_ID.')
output cliAppId string = cliServicePrincipal.appId

@description('Object ID of the service principal.')
output servicePrincipalId string = servicePrincipal.id
