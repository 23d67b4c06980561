// The telemetry contract: span, attribute and metric names operators query (README "Operating it", the workbook in
// infra/modules/workbook.bicep). Stable: rename one and saved queries break. OpenTelemetry's semantic conventions
// where one exists (mcp.*, gen_ai.*, http.*, error.type, enduser.*), this app's own otherwise.

/** The instrumentation scope of every span and metric, and its version. */
export const SCOPE = 'azure-obo-mcp';
export const VERSION = '0.1.0';

export const SPAN = {
  /** One POST /mcp (INTERNAL, a child of the host's request; in Application Insights a dependency, type InProc). */
  mcpRequest: 'mcp.request',
  /** One tools/call inside it. */
  toolCall: 'mcp.tool_call',
  /** Bearer token verification (jose), or the proxy token's opening and the Entra token inside. */
  verifyBearer: 'auth.verify_bearer',
  /** One ARM token lookup: the cache, or an On-Behalf-Of exchange with Entra ID. */
  obo: 'obo.exchange',
  /** A read of the app's credential: the Key Vault secret, or a managed identity assertion. */
  credentialRead: 'credential.read',
  /** One HTTP request to Azure Resource Manager (every page, every retry; CLIENT). */
  armRequest: 'arm.request',
  /** The OAuth proxy's endpoints (INTERNAL, like mcp.request): oauth.register, oauth.authorize, oauth.consent, oauth.callback, oauth.token, oauth.metadata. */
  oauth: (endpoint: string) => `oauth.${endpoint}`,
} as const;

export const ATTR = {
  mcpMethod: 'mcp.method.name',
  tool: 'gen_ai.tool.name',
  /** The MCP client: the proxy's client (its metadata document URL, or `registered:<hash>`), or `entra:<azp>`. */
  client: 'mcp.client',
  /** ok | tool_error | rejected | bad_request | reauthentication | error (the request); ok | tool_error (a tool). */
  outcome: 'mcp.outcome',
  /** HMAC-SHA256 of the user's object id (MCP_TELEMETRY_USER=hash). */
  userPseudoId: 'enduser.pseudo.id',
  /** The user's object id itself (MCP_TELEMETRY_USER=oid). */
  userId: 'enduser.id',
  httpStatus: 'http.response.status_code',
  httpMethod: 'http.request.method',
  /** A stable code of this app's errors (`token_expired`, `consent_required`, `invalid_grant`…), never a message. */
  errorType: 'error.type',
  authCached: 'auth.cached',
  authViaProxy: 'auth.via_proxy',
  /** hit | miss | coalesced | remembered_failure */
  oboCache: 'obo.cache',
  oboCredentialMode: 'obo.credential_mode',
  /** Entra's AADSTS number of a failed exchange. */
  oboAadsts: 'obo.aadsts',
  /** key_vault | managed_identity */
  credentialSource: 'credential.source',
  serverAddress: 'server.address',
  urlPath: 'url.path',
  armOperation: 'arm.operation',
  /** 1 for the first page of a listing, 2 for the next… */
  armPage: 'arm.page',
  /** 0 for a first attempt, then the retry's number. */
  resendCount: 'http.request.resend_count',
  /** metadata_document | registration */
  oauthClientType: 'oauth.client_type',
  /** approve | deny | remembered */
  oauthDecision: 'oauth.consent.decision',
  oauthGrantType: 'oauth.grant_type',
} as const;

export const METRIC = {
  /** Counter: tools/call by tool, outcome and client. */
  toolCalls: 'mcp.tool.calls',
  /** Histogram (s): POST /mcp by method, outcome and client. */
  requestDuration: 'mcp.request.duration',
  /** Counter: ARM token lookups by obo.cache and error.type. */
  oboExchanges: 'obo.exchanges',
  /** Histogram (s): On-Behalf-Of exchanges with Entra ID (cache misses). */
  oboDuration: 'obo.exchange.duration',
  /** Counter: rejected bearer tokens by error.type. */
  verificationFailures: 'auth.verification.failures',
  /** Counter: OAuth proxy sign-ins completed at Entra ID (or refused there) by client and outcome. */
  signIns: 'oauth.sign_ins',
  /** Counter: consent decisions by client and decision. */
  consentDecisions: 'oauth.consent.decisions',
  /** Histogram (s): ARM HTTP requests by operation and status. */
  armDuration: 'arm.request.duration',
} as const;
