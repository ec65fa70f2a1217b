// Client addresses as the server counts and logs them.
import { normalizeIP } from '@fastify/rate-limit';

/** The key a client is counted under: an IPv4 address, or an IPv6 /64 (what one household gets). */
export const clientKey = (ip: string): string => (ip.includes(':') ? normalizeIP(ip) : ip);

/** An address without its last part (IPv4 /24, IPv6 /48): enough to read a log, not to name a visitor. */
export const maskIp = (ip: string): string => (ip.includes(':') ? ip.split(':').slice(0, 3).join(':') + '::' : ip.replace(/\.\d+$/, '.0'));

/** True for this machine's own addresses (127.0.0.0/8, ::1, and IPv4 loopback written as IPv6). */
export const isLoopback = (address: string | undefined): boolean => !!address && /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/.test(address);

/** True for a host name or address to listen on that only this machine can reach. */
export const isLoopbackHost = (host: string): boolean => host == 'localhost' || isLoopback(host.replace(/^\[|\]$/g, ''));
