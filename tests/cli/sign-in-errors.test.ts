import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExitCode } from '../../cli/exit-codes.js';
import { explainEntraError } from '../../cli/sign-in-errors.js';

const CLIENT = '3f2e1d0c-9b8a-4765-8432-10fedcba9876';

describe('explainEntraError', () => {
  const ctx = {
    clientId: CLIENT,
    tenantId: 't',
    authorityHost: 'https://login.example',
    scope: `api://${CLIENT}/execute`,
    cachePath: '/c.json',
  };
  const info = (error: string, code: number) => ({
    error,
    codes: [code],
    description: `AADSTS${code}: ...`,
    endpoint: '/t/oauth2/v2.0/token',
  });
  const cases: [string, number, RegExp][] = [
    ['invalid_client', 7000218, /Enable public client flows in App Registration → Authentication/],
    [
      'invalid_resource',
      500011,
      /api:\/\/3f2e1d0c-9b8a-4765-8432-10fedcba9876\/execute under App Registration → Expose an API/,
    ],
    ['invalid_client', 650053, /Expose an API/],
    ['invalid_grant', 65005, /Expose an API/],
    ['invalid_grant', 9002313, /azure-obo-mcp logout" \(or delete \/c\.json\)/],
    ['unauthorized_client', 700016, /ENTRA_CLIENT_ID/],
    ['invalid_tenant', 90002, /ENTRA_TENANT_ID/],
    ['expired_token', 70019, /before the code expires/],
    ['invalid_grant', 65001, /admin consent/],
  ];
  for (const [error, code, fix] of cases)
    it(`${error} AADSTS${code}: a sign-in failure with its fix (the demo's failure table)`, () => {
      const e = explainEntraError(info(error, code), ctx);
      assert.equal(e.exitCode, ExitCode.signIn);
      assert.match(e.message, new RegExp(`AADSTS${code}`));
      assert.match(e.fix ?? '', fix);
    });
});
