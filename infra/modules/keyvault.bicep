// Key Vault for the OBO client secret (OBO_CREDENTIAL=keyvault) and the OAuth proxy's keys
// (MCP_OAUTH_PROXY=on). RBAC authorization only (no access policies); soft delete is always on. The vault is
// created in every configuration so that switching is a parameter change, but the app identity may read secrets
// only when it keeps one here, and only from this vault. Bicep cannot mint an app password or a random key that
// survives redeployment: scripts/infra/set-obo-secret.sh and set-oauth-proxy-key.sh write them after
// provisioning, as the deploying principal, which therefore gets Key Vault Secrets Officer here (likewise only
// when a secret is kept here).

@description('Name of the vault (3-24 characters, globally unique).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region.')
param location string

@description('Tags for the vault.')
param tags {
  *: string
}

@description('Days a deleted vault or secret is kept before it can be purged.')
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int = 7

@description('Turn on purge protection. Irreversible for this vault: once on, it cannot be turned off, and the vault cannot be purged before the retention period ends.')
param enablePurgeProtection bool = false

@description('Whether the app reads secrets from this vault (OBO_CREDENTIAL=keyvault, or MCP_OAUTH_PROXY=on).')
param grantSecretAccess bool

@description('Name of the Function App user-assigned identity in this resource group (gets Key Vault Secrets User when grantSecretAccess).')
param identityName string

@description('Object ID of the principal that runs the postprovision scripts (gets Key Vault Secrets Officer when grantSecretAccess). Empty: none.')
param deployerPrincipalId string = ''

// Built-in roles.
var keyVaultSecretsUserRoleId = '4633458b-17de-408a-b874-0445c86b69e6'
var keyVaultSecretsOfficerRoleId = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: identityName
}

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    // The service rejects `false` once purge protection is on, so `false` is sent as "not set".
    enablePurgeProtection: enablePurgeProtection ? true : null
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource appSecretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (grantSecretAccess) {
  name: guid(vault.id, identity.id, keyVaultSecretsUserRoleId)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUserRoleId)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource writerSecretsOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (grantSecretAccess && !empty(deployerPrincipalId)) {
  name: guid(vault.id, deployerPrincipalId, keyVaultSecretsOfficerRoleId)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsOfficerRoleId)
    principalId: deployerPrincipalId
  }
}

@description('Name of the vault.')
output name string = vault.name

@description('Vault URI without the trailing slash (KEY_VAULT_URL).')
output uri string = 'https://${vault.name}${environment().suffixes.keyvaultDns}'
