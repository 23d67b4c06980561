// azure-obo-mcp: everything `azd up` (or `az deployment sub create`) needs, in one subscription-scope
// deployment that also creates the resource group. Subscription scope because the resource group is part
// of the environment: azd names it rg-<environment>, tags it, and `azd down` deletes it whole.
//
// Resources: user-assigned managed identity, storage account (AzureWebJobsStorage + Flex deployment
// container, keyless), Log Analytics + Application Insights (Entra-authenticated ingestion), Key Vault (RBAC),
// Flex Consumption plan + Function App (optionally on a custom domain with a managed TLS certificate), and in
// Entra ID (Microsoft Graph extension) the API app registration (confidential), the CLI app registration
// (public client), their service principals and, in managed-identity mode, the federated identity credential.

targetScope = 'subscription'

extension microsoftGraphV1

@minLength(1)
@maxLength(40)
@description('Name of the azd environment; names the resource group and seeds unique resource names.')
param environmentName string

@minLength(1)
@description('Azure region of all resources. It must offer Flex Consumption (az functionapp list-flexconsumption-locations).')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('How the server authenticates itself for On-Behalf-Of: `managed-identity` (federated credential trusting the app\'s managed identity; no secret exists) or `keyvault` (client secret in Key Vault, written by scripts/infra/set-obo-secret.sh).')
@allowed([
  'managed-identity'
  'keyvault'
])
param oboCredential string = 'managed-identity'

@description('Name of the Key Vault secret holding the OBO client secret (keyvault mode).')
param keyVaultSecretName string = 'obo-client-secret'

@description('Turn on Key Vault purge protection. Irreversible for the vault: `azd down --purge` then leaves it soft-deleted (azd skips purge-protected vaults), and its name blocks re-creating the same environment until the retention period has passed.')
param enableKeyVaultPurgeProtection bool = false

@description('Application IDs of further MCP client apps (e.g. one you registered for Claude Code, mcp-remote or MCP Inspector): pre-authorized for `execute` and allowed to call (ENTRA_ALLOWED_CLIENT_IDS), besides the CLI app, which always is, and Visual Studio Code (allowVsCode).')
param additionalClientIds string[] = []

@description('Let Visual Studio Code call: its built-in Microsoft sign-in (application aebc6443-996d-45c2-90f0-388ff96faa56, a first-party public client shared by every VS Code installation and extension) is pre-authorized for `execute` and listed in ENTRA_ALLOWED_CLIENT_IDS. Any extension running in a user\'s VS Code can then obtain an `execute` token for this API in that user\'s name. Off: VS Code cannot sign in to this server; use the CLI or a client app of your own (additionalClientIds).')
param allowVsCode bool = true

@description('Custom domain of the MCP endpoint, e.g. `mcp.contoso.com` (host name only). Set it only after its DNS records exist (CNAME to the app\'s default host name, TXT asuid.<domain> = CUSTOM_DOMAIN_VERIFICATION_ID) and its parent domain is verified in the Entra tenant; see infra/README.md. Then the app gets the host name binding and a managed certificate, and https://<domain>/mcp becomes the Application ID URI, ENTRA_APP_ID_URI and MCP_PUBLIC_URL. Empty: the default host name and api://<appId>.')
@maxLength(253)
param customDomain string = ''

@description('MCP_OAUTH_PROXY: `on` makes the server the OAuth authorization server its MCP clients see (stateless, in front of Entra ID: client registration by CIMD or DCR, a consent page, its own tokens wrapping Entra\'s), so every spec-following client signs in without a custom domain; `off` points clients at Entra ID directly (only VS Code and the CLI can sign in then, unless a custom domain aligns the Application ID URI).')
@allowed([
  'on'
  'off'
])
param oauthProxy string = 'on'

@description('Key Vault secret holding the OAuth proxy\'s keys (MCP_OAUTH_PROXY_KEY_SECRET_NAME); scripts/infra/set-oauth-proxy-key.sh creates it after provisioning (the azd postprovision hook).')
param oauthProxyKeySecretName string = 'mcp-oauth-proxy-key'

@description('MCP_OAUTH_REDIRECT_HOSTS: comma-separated host names the OAuth proxy may send sign-ins back to (e.g. claude.ai,chatgpt.com,127.0.0.1,localhost). Empty: any host (the consent page names it, every first time per client and redirect URI).')
param oauthRedirectHosts string = ''

@description('MCP_TELEMETRY_USER: how users appear in the app\'s telemetry: `hash` (default) an HMAC-SHA256 of their object id, `oid` the object id itself, `none` not at all. See README "Operating it".')
@allowed([
  'hash'
  'oid'
  'none'
])
param telemetryUser string = 'hash'

@description('Largest request body in bytes the server accepts (MCP_MAX_BODY_BYTES, 413 beyond); the Functions host\'s own limit (FUNCTIONS_REQUEST_BODY_SIZE_LIMIT) is set to twice it, so the server answers, not the host.')
@minValue(1024)
@maxValue(16777216)
param maxRequestBodyBytes int = 1048576

@description('Stable GUID of the `execute` scope. The default is derived from the environment and stays the same across deployments.')
param executeScopeId string = guid(subscription().id, environmentName, 'execute-scope')

@description('Display name of the app registration.')
param appDisplayName string = 'azure-obo-mcp (${environmentName})'

@description('Grant tenant-wide admin consent to the delegated permissions: the API app\'s (Azure Service Management user_impersonation; Graph openid profile offline_access) and the CLI app\'s sign-in scopes (Graph openid profile offline_access). Requires a deployer allowed to grant consent; otherwise grant it once per app with `az ad app permission admin-consent`.')
param grantAdminConsent bool = false

@description('Browser origins allowed to call /mcp (MCP_ALLOWED_ORIGINS, comma-separated), also the Function App\'s platform CORS allowed origins (on Flex the platform answers preflights). Empty: none (VS Code and the CLI are not browsers).')
param mcpAllowedOrigins string = ''

@description('Object ID of the deploying principal: made an owner of the app registration and, in keyvault mode, allowed to write the secret. Empty: neither.')
param deployerObjectId string = deployer().objectId

@description('Node.js major version of the Functions runtime.')
@allowed([
  '20'
  '22'
])
param nodeVersion string = '22'

@description('Memory of each Flex Consumption instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Upper bound of Flex Consumption instances.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var requiredScope = 'execute'
var functionAppName = 'func-${resourceToken}'
var deploymentContainerName = 'app-package-${resourceToken}'
var useKeyVault = oboCredential == 'keyvault'
var useProxy = oauthProxy == 'on'
var identityName = 'id-${resourceToken}'
// Visual Studio Code's built-in Microsoft sign-in (a first-party client app), when allowed.
var vsCodeClientId = 'aebc6443-996d-45c2-90f0-388ff96faa56'
var vsCodeClientIds = allowVsCode ? [vsCodeClientId] : []
var customDomainName = toLower(trim(customDomain))
// The canonical MCP URL, which RFC 8707 clients send as `resource`, doubles as the Application ID URI.
var customDomainAppIdUri = empty(customDomainName) ? '' : 'https://${customDomainName}/mcp'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: identityName
    location: location
    tags: tags
  }
}

module entraApp 'modules/entra-app.bicep' = {
  name: 'entra-app'
  scope: rg
  params: {
    uniqueName: 'azure-obo-mcp-${environmentName}-${resourceToken}'
    displayName: appDisplayName
    executeScopeId: executeScopeId
    scopeValue: requiredScope
    preAuthorizedClientIds: union(vsCodeClientIds, additionalClientIds)
    extraIdentifierUris: empty(customDomainAppIdUri) ? [] : [customDomainAppIdUri]
    cliRedirectUris: [
      'http://localhost'
    ]
    ownerObjectId: deployerObjectId
    createFederatedCredential: !useKeyVault
    managedIdentityPrincipalId: identity.outputs.principalId
    grantAdminConsent: grantAdminConsent
    signInToSelf: useProxy
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
    identityName: identityName
  }
  dependsOn: [
    identity
  ]
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'st${resourceToken}'
    deploymentContainerName: deploymentContainerName
    location: location
    tags: tags
    identityName: identityName
  }
  dependsOn: [
    identity
  ]
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: 'kv-${resourceToken}'
    location: location
    tags: tags
    enablePurgeProtection: enableKeyVaultPurgeProtection
    // The app reads the OBO secret (keyvault mode) and the OAuth proxy's keys from the vault.
    grantSecretAccess: useKeyVault || useProxy
    identityName: identityName
    deployerPrincipalId: deployerObjectId
  }
  dependsOn: [
    identity
  ]
}

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  scope: rg
  params: {
    name: functionAppName
    planName: 'plan-${resourceToken}'
    location: location
    tags: tags
    azdServiceName: 'api'
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    nodeVersion: nodeVersion
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    customDomain: customDomainName
    server: {
      tenantId: tenant().tenantId
      clientId: entraApp.outputs.appId
      appIdUri: empty(customDomainAppIdUri) ? entraApp.outputs.identifierUri : customDomainAppIdUri
      allowedClientIds: allowedClientIds
      requiredScope: requiredScope
      acceptedTokenVersions: string(entraApp.outputs.accessTokenVersion)
      credential: useKeyVault ? 'keyvault' : 'managed-identity'
      keyVaultUrl: useKeyVault || useProxy ? keyVault.outputs.uri : ''
      keyVaultSecretName: useKeyVault ? keyVaultSecretName : ''
      allowedOrigins: mcpAllowedOrigins
      maxBodyBytes: maxRequestBodyBytes
      oauthProxy: oauthProxy
      oauthProxyKeySecretName: useProxy ? oauthProxyKeySecretName : ''
      oauthRedirectHosts: oauthRedirectHosts
      telemetryUser: telemetryUser
    }
  }
}

// The OAuth proxy's callback is a Web redirect URI of the API app; its host name exists only once the app does.
module entraAppRedirects 'modules/entra-app-redirects.bicep' = {
  name: 'entra-app-redirects'
  scope: rg
  params: {
    uniqueName: entraApp.outputs.uniqueName
    displayName: appDisplayName
    redirectUris: useProxy ? oauthCallbackUrls : []
  }
}

var host = functionApp.outputs.publicHostName
var oauthCallbackUrls = union(
  ['https://${functionApp.outputs.defaultHostName}/oauth/callback'],
  empty(customDomainName) ? [] : ['https://${customDomainName}/oauth/callback']
)
// The CLI app, VS Code (when allowed) and the additional client apps: the same set that is pre-authorized.
var allowedClientIds = join(union([entraApp.outputs.cliAppId], vsCodeClientIds, additionalClientIds), ',')

@description('URL of the MCP endpoint (streamable HTTP): on the custom domain when one is set.')
output MCP_URL string = 'https://${host}/mcp'

@description('Protected resource metadata (RFC 9728) of the MCP endpoint.')
output MCP_METADATA_URL string = 'https://${host}/.well-known/oauth-protected-resource/mcp'

@description('Application (client) ID of the API app registration.')
output ENTRA_CLIENT_ID string = entraApp.outputs.appId

@description('Application ID URI clients request scopes under (ENTRA_APP_ID_URI): https://<custom domain>/mcp, else api://<appId>.')
output ENTRA_APP_ID_URI string = empty(customDomainAppIdUri) ? entraApp.outputs.identifierUri : customDomainAppIdUri

@description('Application (client) ID of the CLI app registration (public client): ENTRA_CLI_CLIENT_ID for the CLI.')
output ENTRA_CLI_CLIENT_ID string = entraApp.outputs.cliAppId

@description('Client apps the server accepts tokens from (ENTRA_ALLOWED_CLIENT_IDS).')
output ENTRA_ALLOWED_CLIENT_IDS string = allowedClientIds

@description('MCP_OAUTH_PROXY of the app (on/off): read by the postprovision hook.')
output MCP_OAUTH_PROXY string = oauthProxy

@description('Key Vault secret of the OAuth proxy\'s keys (created by scripts/infra/set-oauth-proxy-key.sh).')
output MCP_OAUTH_PROXY_KEY_SECRET_NAME string = useProxy ? oauthProxyKeySecretName : ''

@description('The OAuth proxy\'s callback URLs, registered as Web redirect URIs of the API app.')
output MCP_OAUTH_CALLBACK_URLS string[] = useProxy ? oauthCallbackUrls : []

@description('Custom domain of the MCP endpoint; empty without one.')
output MCP_CUSTOM_DOMAIN string = customDomainName

@description('Target of the custom domain\'s CNAME record: the app\'s default host name.')
output AZURE_FUNCTION_APP_DEFAULT_HOST_NAME string = functionApp.outputs.defaultHostName

@description('Value of the custom domain\'s TXT record asuid.<domain> (domain ownership for the host name binding).')
output CUSTOM_DOMAIN_VERIFICATION_ID string = functionApp.outputs.customDomainVerificationId

@description('Tenant of the app registration.')
output ENTRA_TENANT_ID string = tenant().tenantId

@description('Tenant ID for azd.')
output AZURE_TENANT_ID string = tenant().tenantId

@description('OBO credential mode the app runs with (read by the postprovision hook).')
output OBO_CREDENTIAL string = oboCredential

@description('Key Vault URL (KEY_VAULT_URL); the vault exists in both modes, the app reads it in keyvault mode.')
output KEY_VAULT_URL string = keyVault.outputs.uri

@description('Key Vault name (used by scripts/infra/set-obo-secret.sh).')
output KEY_VAULT_NAME string = keyVault.outputs.name

@description('Secret name of the OBO client secret.')
output KEY_VAULT_SECRET_NAME string = keyVaultSecretName

@description('Client ID of the user-assigned managed identity.')
output MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId

@description('Resource group of the environment.')
output AZURE_RESOURCE_GROUP string = rg.name

@description('Region of the environment.')
output AZURE_LOCATION string = location

@description('Name of the Function App.')
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name

@description('Name of the Function App as azd service `api`.')
output SERVICE_API_NAME string = functionApp.outputs.name
