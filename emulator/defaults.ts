// Default directory content: fixed ids so test output is stable across runs.
import type { EmulatorUser } from './types.js';

export const DEFAULT_TENANT_ID = '7a1c2b3d-0e4f-4a5b-8c6d-9e0f1a2b3c4d';
export const DEFAULT_CLIENT_ID = '3f2e1d0c-9b8a-4765-8432-10fedcba9876';
export const DEFAULT_MANAGED_IDENTITY = {
  clientId: '5b6c7d8e-9f01-4234-a567-89abcdef0123',
  principalId: '0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6',
};

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
