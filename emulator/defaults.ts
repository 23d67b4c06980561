// Default directory content: fixed ids so test output is stable across runs.
import type { EmulatorClientApp, EmulatorUser } from './types.js';

export const DEFAULT_TENANT_ID = '7a1c2b3d-0e4f-4a5b-8c6d-9e0f1a2b3c4d';
export const DEFAULT_CLIENT_ID = '3f2e1d0c-9b8a-4765-8432-10fedcba9876';
export const DEFAULT_MANAGED_IDENTITY = {
  clientId: '5b6c7d8e-9f01-4234-a567-89abcdef0123',
  principalId: '0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6',
};

/** A separate public client for the CLI: pre-authorized for the API, loopback redirect. */
export const DEFAULT_CLI_CLIENT_ID = 'c11c11c1-0000-4000-8000-00000000c11c';
/** Visual Studio Code's first-party client id (pre-authorized by APIs that want VS Code's built-in sign-in). */
export const VSCODE_CLIENT_ID = 'aebc6443-996d-45c2-90f0-388ff96faa56';
/** An MCP client like Claude Code: a pre-registered public client that users consented to. */
export const DEFAULT_THIRD_PARTY_CLIENT_ID = '7d1d7d1d-0000-4000-8000-0000007d1d7d';

/** Client apps besides the API app itself. */
export function defaultClientApps(): EmulatorClientApp[] {
  return [
    {
      clientId: DEFAULT_CLI_CLIENT_ID,
      name: 'azure-obo-mcp CLI',
      redirectUris: ['http://localhost'],
      preAuthorized: true,
    },
    {
      clientId: VSCODE_CLIENT_ID,
      name: 'Visual Studio Code',
      redirectUris: ['http://127.0.0.1/', 'https://vscode.dev/redirect'],
      preAuthorized: true,
    },
    {
      clientId: DEFAULT_THIRD_PARTY_CLIENT_ID,
      name: 'Third-party MCP client',
      redirectUris: ['http://localhost/callback'],
      consented: true,
    },
  ];
}

export function defaultUsers(): EmulatorUser[] {
  return [
    {
      oid: 'a11ce000-0000-4000-8000-00000000a11c',
      upn: 'alice@contoso.example',
      name: 'Alice Example',
      subscriptions: [
        {
          subscriptionId: '11111111-1111-4111-8111-111111111111',
          displayName: 'Alice Production',
          state: 'Enabled',
          resourceGroups: [
            {
              name: 'rg-web',
              location: 'westeurope',
              resources: [
                { name: 'aliceweb', type: 'Microsoft.Web/sites', location: 'westeurope' },
                { name: 'alicewebplan', type: 'Microsoft.Web/serverFarms', location: 'westeurope' },
                { name: 'alicestore01', type: 'Microsoft.Storage/storageAccounts', location: 'westeurope' },
              ],
            },
            {
              name: 'rg-data',
              location: 'northeurope',
              resources: [{ name: 'alice-sql', type: 'Microsoft.Sql/servers', location: 'northeurope' }],
            },
            { name: 'rg-empty', location: 'westeurope', resources: [] },
          ],
        },
        {
          subscriptionId: '22222222-2222-4222-8222-222222222222',
          displayName: 'Alice Dev/Test',
          state: 'Enabled',
          resourceGroups: [
            {
              name: 'rg-dev',
              location: 'eastus',
              resources: [{ name: 'alice-dev-kv', type: 'Microsoft.KeyVault/vaults', location: 'eastus' }],
            },
          ],
        },
        {
          subscriptionId: '33333333-3333-4333-8333-333333333333',
          displayName: 'Alice Legacy',
          state: 'Disabled',
          resourceGroups: [],
        },
      ],
    },
    {
      oid: 'b0b00000-0000-4000-8000-000000000b0b',
      upn: 'bob@contoso.example',
      name: 'Bob Example',
      subscriptions: [
        {
          subscriptionId: '44444444-4444-4444-8444-444444444444',
          displayName: 'Bob Sandbox',
          state: 'Enabled',
          resourceGroups: [
            {
              name: 'rg-bob',
              location: 'westus2',
              resources: [{ name: 'bobvm', type: 'Microsoft.Compute/virtualMachines', location: 'westus2' }],
            },
          ],
        },
      ],
    },
  ];
}
