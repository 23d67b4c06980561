// User-assigned managed identity of the Function App. One identity does everything the app does as itself:
// AzureWebJobsStorage, the Flex deployment container, Application Insights ingestion, reading the OBO client
// secret from Key Vault (keyvault mode) and acting as the federated credential of the app registration
// (managed-identity mode). A user-assigned identity (rather than system-assigned) exists before the app, so
// its role assignments and the federated credential can be in place before the host first starts.

@description('Name of the user-assigned managed identity.')
param name string

@description('Azure region.')
param location string

@description('Tags for the identity.')
param tags {
  *: string
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

@description('Resource ID of the identity.')
output id string = identity.id

@description('Name of the identity.')
output name string = identity.name

@description('Client (application) ID of the identity: MANAGED_IDENTITY_CLIENT_ID and AzureWebJobsStorage__clientId.')
output clientId string = identity.properties.clientId

@description('Object (principal) ID of the identity: role assignments and the federated credential subject.')
output principalId string = identity.properties.principalId
