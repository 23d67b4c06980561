// Flex Consumption plan + Function App (Linux, Node.js) with the user-assigned identity, its app settings and,
// when a custom domain is given, the host name binding with a free managed certificate (SNI).
//
// The app settings are a separate `config/appsettings` resource because MCP_PUBLIC_URL needs the app's own
// default host name, which exists only after the site does. They are written as one literal object so that
// tests/infra/settings-drift.test.ts can check them against the settings the code reads (SETTING_NAMES).

@description('Name of the Function App.')
param name string

@description('Name of the Flex Consumption plan.')
param planName string

@description('Azure region (must offer Flex Consumption).')
param location string

@description('Tags for the plan and the app (the app also gets azd-service-name).')
param tags {
  *: string
}

@description('Name azd uses for this service (azure.yaml services key).')
param azdServiceName string

@description('Resource ID of the user-assigned managed identity.')
param identityId string

@description('Client ID of the user-assigned managed identity.')
param identityClientId string

@description('Name of the storage account used for AzureWebJobsStorage.')
param storageAccountName string

@description('URL of the blob container Flex deploys the package from.')
param deploymentContainerUrl string

@description('Application Insights connection string.')
param applicationInsightsConnectionString string

@description('Node.js major version of the Functions runtime.')
@allowed([
  '20'
  '22'
])
param nodeVersion string

@description('Memory of each instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int

@description('Upper bound of instances the app scales out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int

@description('Custom domain (host name only, lower case) bound with a managed certificate; empty: none.')
param customDomain string

@description('Settings of the MCP server itself (see src/config/settings.ts).')
param server serverSettings

@description('Settings of the MCP server that the infrastructure sets.')
type serverSettings = {
  @description('ENTRA_TENANT_ID')
  tenantId: string
  @description('ENTRA_CLIENT_ID')
  clientId: string
  @description('ENTRA_APP_ID_URI')
  appIdUri: string
  @description('ENTRA_ALLOWED_CLIENT_IDS (comma-separated)')
  allowedClientIds: string
  @description('ENTRA_REQUIRED_SCOPE')
  requiredScope: string
  @description('ENTRA_ACCEPTED_TOKEN_VERSIONS: the version the API app registration issues')
  acceptedTokenVersions: string
  @description('OBO_CREDENTIAL')
  credential: ('managed-identity' | 'keyvault')
  @description('KEY_VAULT_URL')
  keyVaultUrl: string
  @description('KEY_VAULT_SECRET_NAME')
  keyVaultSecretName: string
  @description('MCP_ALLOWED_ORIGINS (comma-separated, may be empty)')
  allowedOrigins: string
  @description('MCP_MAX_BODY_BYTES; the host\'s FUNCTIONS_REQUEST_BODY_SIZE_LIMIT is twice it')
  maxBodyBytes: int
  @description('MCP_OAUTH_PROXY')
  oauthProxy: ('on' | 'off')
  @description('MCP_OAUTH_PROXY_KEY_SECRET_NAME (empty when the proxy is off)')
  oauthProxyKeySecretName: string
  @description('MCP_OAUTH_REDIRECT_HOSTS (comma-separated, may be empty)')
  oauthRedirectHosts: string
  @description('MCP_TELEMETRY_USER: how users appear in telemetry')
  telemetryUser: ('hash' | 'oid' | 'none')
}

var hasCustomDomain = !empty(customDomain)

// The host's own request-body limit sits above the app's. Over FUNCTIONS_REQUEST_BODY_SIZE_LIMIT the host answers
// 500 with an empty body (or resets the connection) before the function runs, so with equal limits no client ever
// got the handler's 413; between the two the handler answers 413 naming MCP_MAX_BODY_BYTES. Twice the app's limit
// still bounds what the host takes in (its default is ~100 MB). tests/infra/body-limit.test.ts checks both.
var hostBodyLimitBytes = server.maxBodyBytes * 2

// Browser origins for the platform's CORS: on Linux Consumption and Flex the host's CORS middleware answers every
// preflight itself (the function's OPTIONS handler never runs), so without this list an allowed origin's preflight
// gets no Access-Control headers. The same origins as MCP_ALLOWED_ORIGINS; empty: no browser origins.
var corsAllowedOrigins = filter(
  map(split(server.allowedOrigins, ','), origin => trim(origin)),
  origin => !empty(origin)
)

resource plan 'Microsoft.Web/serverfarms@2024-11-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-11-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': azdServiceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    // Flex Consumption keeps TLS certificates per app ("site-scoped"), opted into when the app is created;
    // the custom domain's managed certificate below needs it. Not in Bicep's Microsoft.Web types yet.
    #disable-next-line BCP037
    siteScopedCertificatesEnabled: true
    httpsOnly: true
    clientAffinityEnabled: false
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      cors: {
        allowedOrigins: corsAllowedOrigins
        supportCredentials: false
      }
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'node'
        version: nodeVersion
      }
    }
  }
}

// Publishing with user name + password (FTP and the SCM site) is off: azd and the Azure CLI deploy with an
// Entra token.
resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-11-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-11-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

// Custom domain, step 1: the host name binding (App Service checks the CNAME and the asuid TXT record).
resource customHostName 'Microsoft.Web/sites/hostNameBindings@2024-11-01' = if (hasCustomDomain) {
  parent: site
  name: hasCustomDomain ? customDomain : 'unused'
  properties: {
    siteName: site.name
    hostNameType: 'Verified'
    customHostNameDnsRecordType: 'CName'
    sslState: 'Disabled'
  }
}

// Step 2: a free App Service managed certificate for it (issued once the binding exists, renewed by Azure).
resource customDomainCertificate 'Microsoft.Web/sites/certificates@2024-11-01' = if (hasCustomDomain) {
  parent: site
  name: hasCustomDomain ? replace(customDomain, '.', '-') : 'unused'
  location: location
  tags: tags
  properties: {
    canonicalName: customDomain
  }
  dependsOn: [
    customHostName
  ]
}

// Step 3: the same binding again, now SNI with the certificate: a separate deployment, because one template
// cannot declare a resource twice.
module customDomainTls 'custom-domain-tls.bicep' = if (hasCustomDomain) {
  name: 'custom-domain-tls'
  params: {
    siteName: site.name
    hostName: customDomain
    thumbprint: hasCustomDomain ? customDomainCertificate!.properties.thumbprint : ''
  }
}

resource appSettings 'Microsoft.Web/sites/config@2024-11-01' = {
  parent: site
  name: 'appsettings'
  properties: {
    // Platform: identity-based host storage (no account key anywhere).
    AzureWebJobsStorage__accountName: storageAccountName
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identityClientId
    // Platform: Application Insights with Entra (not instrumentation key) authentication.
    APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
    // Platform: the host reports requests and its logs with OpenTelemetry, so the app's spans (which name the host's
    // invocation as their parent) join the host's request in one trace.
    AzureFunctionsJobHost__telemetryMode: 'OpenTelemetry'
    // Platform: the host's own request-body limit (default ~100 MB), above MCP_MAX_BODY_BYTES (see
    // hostBodyLimitBytes) so that the handler, not the host, answers bodies just over the app's limit.
    FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: string(hostBodyLimitBytes)
    // The MCP server (src/config/settings.ts).
    ENTRA_TENANT_ID: server.tenantId
    ENTRA_CLIENT_ID: server.clientId
    ENTRA_APP_ID_URI: server.appIdUri
    ENTRA_ALLOWED_CLIENT_IDS: server.allowedClientIds
    ENTRA_REQUIRED_SCOPE: server.requiredScope
    ENTRA_ACCEPTED_TOKEN_VERSIONS: server.acceptedTokenVersions
    OBO_CREDENTIAL: server.credential
    KEY_VAULT_URL: server.keyVaultUrl
    KEY_VAULT_SECRET_NAME: server.keyVaultSecretName
    MANAGED_IDENTITY_CLIENT_ID: identityClientId
    MCP_PUBLIC_URL: 'https://${hasCustomDomain ? customDomain : site.properties.defaultHostName}/mcp'
    MCP_ALLOWED_ORIGINS: server.allowedOrigins
    MCP_MAX_BODY_BYTES: string(server.maxBodyBytes)
    MCP_OAUTH_PROXY: server.oauthProxy
    MCP_OAUTH_PROXY_KEY_SECRET_NAME: server.oauthProxyKeySecretName
    // Telemetry (src/telemetry/): the app's spans and metrics to the same Application Insights, with the identity.
    MCP_TELEMETRY: 'on'
    MCP_TELEMETRY_USER: server.telemetryUser
    MCP_OAUTH_REDIRECT_HOSTS: server.oauthRedirectHosts
  }
}

@description('Name of the Function App.')
output name string = site.name

@description('Default host name of the Function App (the custom domain\'s CNAME target).')
output defaultHostName string = site.properties.defaultHostName

@description('Host name clients use: the custom domain, else the default host name.')
output publicHostName string = hasCustomDomain ? customDomain : site.properties.defaultHostName

@description('Value for the custom domain\'s asuid TXT record.')
output customDomainVerificationId string = site.properties.customDomainVerificationId
