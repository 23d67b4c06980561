// Flex Consumption plan + Function App (Linux, Node.js) with the user-assigned identity, and its app settings.
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

@description('Settings of the MCP server itself (see src/config/settings.ts).')
param server serverSettings

@description('Settings of the MCP server that the infrastructure sets.')
type serverSettings = {
  @description('ENTRA_TENANT_ID')
  tenantId: string
  @description('ENTRA_CLIENT_ID')
  clientId: string
  @description('ENTRA_REQUIRED_SCOPE')
  requiredScope: string
  @description('OBO_CREDENTIAL')
  credential: ('managed-identity' | 'keyvault')
  @description('KEY_VAULT_URL')
  keyVaultUrl: string
  @description('KEY_VAULT_SECRET_NAME')
  keyVaultSecretName: string
  @description('MCP_ALLOWED_ORIGINS (comma-separated, may be empty)')
  allowedOrigins: string
}

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
    httpsOnly: true
    clientAffinityEnabled: false
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
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
    // The MCP server (src/config/settings.ts).
    ENTRA_TENANT_ID: server.tenantId
    ENTRA_CLIENT_ID: server.clientId
    ENTRA_REQUIRED_SCOPE: server.requiredScope
    OBO_CREDENTIAL: server.credential
    KEY_VAULT_URL: server.keyVaultUrl
    KEY_VAULT_SECRET_NAME: server.keyVaultSecretName
    MANAGED_IDENTITY_CLIENT_ID: identityClientId
    MCP_PUBLIC_URL: 'https://${site.properties.defaultHostName}/mcp'
    MCP_ALLOWED_ORIGINS: server.allowedOrigins
  }
}

@description('Name of the Function App.')
output name string = site.name

@description('Default host name of the Function App.')
output defaultHostName string = site.properties.defaultHostName
