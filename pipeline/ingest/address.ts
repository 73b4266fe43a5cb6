/**
 * Outbound address policy for ingest: report and page URLs come from a registry and from
 * redirects chosen by remote servers, so a URL (or a redirect, or a DNS answer) could
 * point ingest at the machine's own services or the local network — a cloud metadata
 * endpoint at 169.254.169.254, an admin page on 10.0.0.1. Only public addresses are
 * contacted unless ranges are allowed explicitly: FetchLimits.allowAddresses (the
 * `--allow-address CIDR` option of ingest and schedule) or, when that is not given, the
 * environment variable SOUSEI_KPI_ALLOW_ADDRESSES (comma-separated CIDRs, e.g.
 * "127.0.0.0/8,10.1.0.0/16").
 *
 * Checked for every hop (redirects included): an IP-literal host before connecting, a
 * host name on every address DNS gives for it (in the socket's own lookup, so the
 * address checked is the address connected to).
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

export const ALLOW_ENV = 'SOUSEI_KPI_ALLOW_ADDRESSES';

/** Ranges that are not public (RFC 6890 special-purpose registries), with what each is. */
const NON_PUBLIC: Array<[string, number, 'ipv4' | 'ipv6', string]> = [
  ['0.0.0.0', 8, 'ipv4', '"this network"'],
  ['10.0.0.0', 8, 'ipv4', 'private (10.0.0.0/8)'],
  ['100.64.0.0', 10, 'ipv4', 'shared/carrier-grade NAT (100.64.0.0/10)'],
  ['127.0.0.0', 8, 'ipv4', 'loopback (127.0.0.0/8)'],
  ['169.254.0.0', 16, 'ipv4', 'link-local (169.254.0.0/16, cloud metadata services)'],
  ['172.16.0.0', 12, 'ipv4', 'private (172.16.0.0/12)'],
  ['192.0.0.0', 24, 'ipv4', 'IETF protocol assignments (192.0.0.0/24)'],
  ['192.0.2.0', 24, 'ipv4', 'documentation (192.0.2.0/24)'],
  ['192.168.0.0', 16, 'ipv4', 'private (192.168.0.0/16)'],
  ['198.18.0.0', 15, 'ipv4', 'benchmarking (198.18.0.0/15)'],
  ['198.51.100.0', 24, 'ipv4', 'documentation (198.51.100.0/24)'],
  ['203.0.113.0', 24, 'ipv4', 'documentation (203.0.113.0/24)'],
  ['224.0.0.0', 4, 'ipv4', 'multicast (224.0.0.0/4)'],
  ['240.0.0.0', 4, 'ipv4', 'reserved (240.0.0.0/4)'],
  ['::', 128, 'ipv6', 'unspecified (::)'],
  ['::1', 128, 'ipv6', 'loopback (::1)'],
  ['64:ff9b:1::', 48, 'ipv6', 'local-use NAT64 (64:ff9b:1::/48)'],
  ['100::', 64, 'ipv6', 'discard-only (100::/64)'],
  ['2001:db8::', 32, 'ipv6', 'documentation (2001:db8::/32)'],
  ['fc00::', 7, 'ipv6', 'unique local (fc00::/7)'],
  ['fe80::', 10, 'ipv6', 'link-local (fe80::/10)'],
  ['fec0::', 10, 'ipv6', 'site-local (fec0::/10)'],
  ['ff00::', 8, 'ipv6', 'multicast (ff00::/8)'],
];

const NON_PUBLIC_LISTS = NON_PUBLIC.map(([net, prefix, type, what]) => {
  const list = new BlockList();
  list.addSubnet(net, prefix, type);
  return { list, type, what };
});

/** An IPv4 address carried in an IPv6 one (::ffff:a.b.c.d mapped, 64:ff9b::/96 NAT64), or null. */
function embeddedIpv4(addr: string): string | null {
  const m = /^(?:::ffff:(?:0:)?|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/iu.exec(addr);
  if (m) return m[1]!;
  const h = /^(?:::ffff:(?:0:)?|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/iu.exec(addr);
  if (!h) return null;
  const hi = parseInt(h[1]!, 16), lo = parseInt(h[2]!, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** What kind of non-public address `addr` is, or null when it is public. */
export function nonPublicKind(addr: string): string | null {
  const bare = addr.replace(/^\[|\]$/gu, '').replace(/%.*$/u, '');
  const v4 = isIP(bare) === 6 ? embeddedIpv4(bare) : null;
  const [a, type] = v4 ? [v4, 'ipv4' as const] : [bare, isIP(bare) === 4 ? ('ipv4' as const) : ('ipv6' as const)];
  for (const r of NON_PUBLIC_LISTS) if (r.type === type && r.list.check(a, type)) return r.what;
  return null;
}

export class AddressPolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AddressPolicyError';
  }
}

/** Parse CIDRs ("10.0.0.0/8", "::1/128", or a bare address); throws a message naming the bad one. */
export function parseAllowList(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const raw of cidrs) {
    const c = raw.trim();
    if (!c) continue;
    const [net, bits] = c.split('/');
    const type = isIP(net ?? '');
    const prefix = bits === undefined ? (type === 4 ? 32 : 128) : Number(bits);
    if (!type || !Number.isInteger(prefix) || prefix < 0 || prefix > (type === 4 ? 32 : 128)) {
      throw new AddressPolicyError(`"${c}" is not an address range; write it as a CIDR such as 127.0.0.0/8 or fd00::/8`);
    }
    list.addSubnet(net!, prefix, type === 4 ? 'ipv4' : 'ipv6');
  }
  return list;
}

/** The allowed ranges: the explicit list, else the environment variable, else none. */
export function allowedRanges(explicit: readonly string[] | null | undefined, env = process.env): { list: BlockList; source: string } {
  if (explicit) return { list: parseAllowList(explicit), source: '--allow-address' };
  const fromEnv = env[ALLOW_ENV];
  try {
    return { list: parseAllowList(fromEnv ? fromEnv.split(',') : []), source: ALLOW_ENV };
  } catch (err) {
    throw new AddressPolicyError(`${ALLOW_ENV}: ${(err as Error).message}`);
  }
}

const HINT = `ingest contacts public addresses only; allow a range with --allow-address CIDR or ${ALLOW_ENV}=CIDR,… if this server is meant to be reached`;

/** Throws AddressPolicyError when `addr` is non-public and not allowed. */
export function checkAddress(addr: string, host: string, allowed: BlockList): void {
  const kind = nonPublicKind(addr);
  if (!kind) return;
  const bare = addr.replace(/^\[|\]$/gu, '');
  const v4 = embeddedIpv4(bare);
  const ok = allowed.check(bare, isIP(bare) === 4 ? 'ipv4' : 'ipv6') || (v4 !== null && allowed.check(v4, 'ipv4'));
  if (ok) return;
  throw new AddressPolicyError(`refused: ${host === bare ? bare : `${host} resolves to ${bare}, which`} is a ${kind} address — ${HINT}`);
}

/** A socket lookup that resolves as usual, then refuses the answer when any address is not allowed. */
export function guardedLookup(allowed: BlockList): LookupFunction {
  return ((hostname: string, options: LookupOneOptions | LookupAllOptions, callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      try {
        for (const a of addresses) checkAddress(a.address, hostname, allowed);
      } catch (e) {
        return callback(e as Error, []);
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), []);
      callback(null, first.address, first.family);
    });
  }) as LookupFunction;
}
