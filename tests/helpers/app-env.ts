// Settings for tests that run the app's functions in-process: getRuntime reads the process environment once, so a
// test file sets them before its first call. Nothing listens at these hosts, so a test that reached Entra ID or
// ARM would fail instead of passing by accident.
export const APP_ENV = {
  ENTRA_TENANT_ID: '11111111-2222-3333-4444-555555555555',
  ENTRA_CLIENT_ID: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
  ENTRA_AUTHORITY_HOST: 'https://127.0.0.1:1',
  ARM_ENDPOINT: 'https://127.0.0.1:1',
  OBO_CREDENTIAL: 'secret',
  OBO_CLIENT_SECRET: 'x',
} as const;

/** Puts APP_ENV and `extra` into the process environment (before the runtime is first built). */
export function useAppEnv(extra: Record<string, string> = {}): void {
  Object.assign(process.env, APP_ENV, extra);
}
