// Hosts that never leave this machine, as URL.hostname spells them (IPv6 in brackets); all of 127.0.0.0/8 is
// loopback. Plain http and unchecked emulator hosts are allowed only here.
const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOST.test(hostname);
}

export function isLoopbackUrl(url: string | URL): boolean {
  return isLoopbackHost(new URL(url).hostname);
}
