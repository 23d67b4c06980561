// Entra authority hosts MSAL knows itself; any other host (a proxy, the emulator) must be declared known.
const MICROSOFT_AUTHORITY_HOSTS = new Set([
  'login.microsoftonline.com',
  'login.microsoft.com',
  'login.windows.net',
  'sts.windows.net',
  'login.microsoftonline.us',
  'login.chinacloudapi.cn',
  'login.partner.microsoftonline.cn',
]);

/** MSAL `knownAuthorities` for an authority host: none for Microsoft's hosts, else the host (with port). */
export function knownAuthoritiesFor(authorityHost: string): { knownAuthorities?: string[] } {
  const host = new URL(authorityHost).host.toLowerCase();
  return MICROSOFT_AUTHORITY_HOSTS.has(host) ? {} : { knownAuthorities: [host] };
}
