// Log Analytics workspace + workspace-based Application Insights with local (instrumentation-key) auth
// disabled: telemetry is accepted only with an Entra token, which the Functions host gets from the
// user-assigned identity (APPLICATIONINSIGHTS_AUTHENTICATION_STRING). The identity gets Monitoring Metrics
// Publisher on this component only.

@description('Name of the Log Analytics workspace.')
param logAnalyticsName string

@description('Name of the Application Insights component.')
param applicationInsightsName string

@description('Azure region.')
param location string

@description('Tags for the resources.')
param tags {
  *: string
}

@description('Days of log retention in the workspace.')
@minValue(30)
@maxValue(730)
param retentionInDays int = 30

@description('Name of the user-assigned identity (in this resource group) that sends telemetry.')
param identityName string

// Built-in role: Monitoring Metrics Publisher.
var monitoringMetricsPublisherRoleId = '3913510d-42f4-4e42-8a64-420c390055eb'

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: identityName
}

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
    features: {
      enableLogAccessUsingOnlyResourcePermissions: true
    }
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: true
    IngestionMode: 'LogAnalytics'
  }
}

resource publisherRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, identity.id, monitoringMetricsPublisherRoleId)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisherRoleId)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// The charts an operator opens first, over the app's spans and metrics (names: src/telemetry/names.ts).
resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(appInsights.id, 'azure-obo-mcp-operations')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'azure-obo-mcp operations'
    category: 'workbook'
    sourceId: appInsights.id
    serializedData: string(loadJsonContent('workbook.json'))
  }
}

@description('Resource id of the operations workbook.')
output workbookId string = workbook.id

@description('Name of the Application Insights component.')
output applicationInsightsName string = appInsights.name

@description('Connection string of Application Insights (not a secret once local auth is disabled).')
output connectionString string = appInsights.properties.ConnectionString
