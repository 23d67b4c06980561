// The API app registration's Web redirect URIs: the OAuth proxy's callback (`https://<host>/oauth/callback`), where
// Entra ID sends the proxy's own sign-in back. A third declaration of the app (same uniqueName): the default host
// name is known only once the Function App exists, which needs the app's client id first. Graph applies only the
// properties a declaration sets, so this one sets the Web platform and nothing else.

extension microsoftGraphV1

@description('uniqueName of the API app registration (modules/entra-app.bicep).')
param uniqueName string

@description('Display name of the app registration (unchanged).')
param displayName string

@description('Web redirect URIs; empty when the OAuth proxy is off.')
param redirectUris string[]

resource app 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: uniqueName
  displayName: displayName
  web: {
    redirectUris: redirectUris
    // The proxy redeems codes server-side (with its credential); no token comes through the browser.
    implicitGrantSettings: {
      enableAccessTokenIssuance: false
      enableIdTokenIssuance: false
    }
  }
}

@description('The Web redirect URIs set.')
output redirectUris string[] = app.web.redirectUris
