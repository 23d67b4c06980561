// Fetches a small JSON document from a URL someone else chose (a client's metadata document), without letting that
// someone aim the server at its own network: https only, every address the name resolves to must be public, the
// connection goes to an address that was checked (no second lookup to rebind), no redirects (the CIMD draft: an
// authorization server MUST NOT follow them), a time budget and a size cap. node:https, because fetch() offers no hook between resolution and connection.
import { Resolver } from 'node:dns/promises';
import type { lookup as dnsLookup } from 'node:dns';
import type { LookupAddress, LookupAllOptions, LookupOneOptions } from 'node:dns';
import { request } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

export interface PublicFetchOptions {
  timeoutMs: number;
  maxBytes: number;
  /** Loopback addresses too (a server on loopback, under local development). Private ones never. */
  allowLoopback?: boolean;
  /** DNS resolution (tests). */
  lookup?: typeof dnsLookup;
}

export interface PublicDocument {
  url: string;
  json: unknown;
  /** The response's Cache-Control header, for the caller's cache. */
  cacheControl: string | undefined;
}

export type PublicFetchFailure =
  | 'not_https'
  | 'blocked_address'
  | 'unresolvable'
  | 'unreachable'
  | 'timeout'
  | 'redirect'
  | 'http_status'
  | 'not_json'
  | 'too_large';

/** Why a document could not be had; `reason` is stable, the message names no address. */
export class PublicFetchError extends Error {
  constructor(
    readonly reason: PublicFetchFailure,
    message: string,
  ) {
    super(message);
    this.name = 'PublicFetchError';
  }
}

// Azure's platform endpoint (WireServer, DNS, health probes) sits at a public-looking address.
const PLATFORM_ADDRESSES = new Set(['168.63.129.16']);

/** True when `address` is a public unicast address (IPv4-mapped IPv6 judged as the IPv4 it maps). */
export function isPublicAddress(address: string, allowLoopback = false): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.process(address);
  if (PLATFORM_ADDRESSES.has(parsed.toString())) return false;
  const range = parsed.range();
  // IPv4-compatible IPv6 (::/96, deprecated) carries an IPv4 address that ipaddr.js calls unicast.
  if (
    range === 'unicast' &&
    parsed.kind() === 'ipv6' &&
    (parsed as ipaddr.IPv6).parts.slice(0, 6).every((p) => p === 0)
  )
    return false;
  return range === 'unicast' || (allowLoopback && range === 'loopback');
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

// c-ares (not getaddrinfo on libuv's four pool threads, which a name server that never answers would hold for many
// seconds each, stalling every lookup of the process), with its own short time budget.
const resolver = new Resolver({ timeout: 2000, tries: 1 });

/** dns.lookup's shape over the c-ares resolver: A and AAAA records; `localhost` is loopback (RFC 6761). */
const aresLookup = ((
  hostname: string,
  _options: unknown,
  callback: (e: NodeJS.ErrnoException | null, a: LookupAddress[]) => void,
) => {
  const name = hostname.toLowerCase();
  if (name === 'localhost' || name.endsWith('.localhost')) {
    return callback(null, [
      { address: '127.0.0.1', family: 4 },
      { address: '::1', family: 6 },
    ]);
  }
  void Promise.allSettled([resolver.resolve4(hostname), resolver.resolve6(hostname)]).then(([v4, v6]) => {
    const addresses = [
      ...(v4.status === 'fulfilled' ? v4.value.map((address) => ({ address, family: 4 })) : []),
      ...(v6.status === 'fulfilled' ? v6.value.map((address) => ({ address, family: 6 })) : []),
    ];
    if (addresses.length > 0) return callback(null, addresses);
    callback(Object.assign(new Error('not found'), { code: 'ENOTFOUND' }), []);
  });
}) as unknown as typeof dnsLookup;

/** A `lookup` for net.connect that fails unless every resolved address is public. */
function guardedLookup(options: PublicFetchOptions) {
  const resolve = options.lookup ?? aresLookup;
  return (
    hostname: string,
    lookupOptions: LookupOneOptions | LookupAllOptions,
    callback: LookupCallback,
  ): void => {
    resolve(hostname, { ...lookupOptions, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const list = addresses;
      if (list.length === 0 || !list.every((a) => isPublicAddress(a.address, options.allowLoopback))) {
        return callback(Object.assign(new Error('blocked address'), { code: 'EBLOCKED' }), []);
      }
      if ((lookupOptions as LookupAllOptions).all) return callback(null, list);
      const [first] = list as [LookupAddress];
      callback(null, first.address, first.family);
    });
  };
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

function get(url: URL, options: PublicFetchOptions, signal: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'GET',
      headers: { accept: 'application/json' },
      lookup: guardedLookup(options),
      signal,
      // One request, no pooled socket that a later request could reuse without a lookup.
      agent: false,
    });
    req.once('response', resolve);
    req.once('error', (error: NodeJS.ErrnoException) => {
      if (signal.aborted) reject(new PublicFetchError('timeout', `no answer within ${options.timeoutMs} ms`));
      else if (error.code === 'EBLOCKED')
        reject(new PublicFetchError('blocked_address', 'the host resolves to an address that is not public'));
      else if (error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN')
        reject(new PublicFetchError('unresolvable', 'the host name does not resolve'));
      else reject(new PublicFetchError('unreachable', 'the host could not be reached over https'));
    });
    req.end();
  });
}

async function readBody(response: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      response.destroy();
      throw new PublicFetchError('too_large', `the document exceeds ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function checkUrl(url: URL, options: PublicFetchOptions): void {
  if (url.protocol !== 'https:') throw new PublicFetchError('not_https', 'only https URLs are fetched');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  // net.connect skips `lookup` for an address literal, so a literal is judged here.
  if (isIP(host) && !isPublicAddress(host, options.allowLoopback)) {
    throw new PublicFetchError('blocked_address', 'the URL names an address that is not public');
  }
}

/** GETs the JSON document at `target` under the rules above; throws PublicFetchError. */
export async function fetchPublicJson(target: string, options: PublicFetchOptions): Promise<PublicDocument> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  const url = new URL(target);
  checkUrl(url, options);
  const response = await get(url, options, signal);
  try {
    if (REDIRECTS.has(response.statusCode ?? 0)) {
      response.resume();
      throw new PublicFetchError('redirect', 'the document answered with a redirect');
    }
    if (response.statusCode !== 200) {
      response.resume();
      throw new PublicFetchError('http_status', `the document answered HTTP ${response.statusCode ?? 0}`);
    }
    const type = (response.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (type !== 'application/json' && !/^application\/[a-z0-9.+-]+\+json$/.test(type)) {
      response.resume();
      throw new PublicFetchError('not_json', 'the document is not served as application/json');
    }
    const body = await readBody(response, options.maxBytes);
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
    } catch {
      throw new PublicFetchError('not_json', 'the document is not valid JSON');
    }
    return { url: url.toString(), json, cacheControl: response.headers['cache-control'] };
  } catch (error) {
    if (error instanceof PublicFetchError) throw error;
    if (signal.aborted) throw new PublicFetchError('timeout', `no answer within ${options.timeoutMs} ms`);
    throw new PublicFetchError('unreachable', 'the document could not be read');
  }
}
