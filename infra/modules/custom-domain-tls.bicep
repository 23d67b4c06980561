// Turns on SNI TLS for a custom host name that is already bound to the Function App, with the given
// certificate. Its own module because the binding is first declared (without TLS) in function-app.bicep, and
// a managed certificate can only be issued for a host name that is bound.

@description('Name of the Function App.')
param siteName string

@description('The custom host name, already bound to the app.')
param hostName string

@description('Thumbprint of the certificate for the host name.')
param thumbprint string

resource site 'Microsoft.Web/sites@2024-11-01' existing = {
  name: siteName
}

resource binding 'Microsoft.Web/sites/hostNameBindings@2024-11-01' = {
  parent: site
  name: hostName
  properties: {
    siteName: siteName
    hostNameType: 'Verified'
    customHostNameDnsRecordType: 'CName'
    sslState: 'SniEnabled'
    thumbprint: thumbprint
  }
}
