// tokens.ts - credentials: user bearer tokens (random, stored only as a peppered SHA-256 hash) and signed
// tokens for agents (join tokens scoped to an instance and pool, node credentials), HMAC-SHA256 on WebCrypto.
// Invariant: secrets (pepper, HMAC key) never enter the table; a token is checked in constant time.
import { fromBase64Url, randomBytes, toBase64Url, utf8 } from './encoding.ts';

const USER_PREFIX = 'flt_';
const SIGNED_PREFIX = 'fjt1';

/** A new user token: `flt_` + 32 random bytes. Shown once; only its hash is stored. */
export function newUserToken(): string {
  return USER_PREFIX + toBase64Url(randomBytes(32));
}

/** The stored form of a user token: hex SHA-256 of pepper ‖ token. */
export async function hashUserToken(token: string, pepper: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', utf8.encode(`${pepper}\u0000${token}`)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

export interface SignedClaims {
  /** What the token is for: a join token lets a new node in, a node credential lets a known node back. */
  kind: 'join' | 'node';
  /** Instance id. */
  iid: string;
  /** Pool the node belongs to (join tokens made for an elastic pool). */
  pool?: string;
  /** Node name (node credentials). */
  node?: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
  /** Random id, so two tokens with the same claims differ. */
  jti: string;
}

async function hmacKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', utf8.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
}

/** `fjt1.<claims>.<mac>`; the claims are readable (base64url JSON) but only the control plane can make one. */
export async function signClaims(claims: Omit<SignedClaims, 'jti'>, secret: string): Promise<string> {
  const payload = toBase64Url(utf8.encode(JSON.stringify({ ...claims, jti: toBase64Url(randomBytes(9)) })));
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', await hmacKey(secret), utf8.encode(`${SIGNED_PREFIX}.${payload}`)));
  return `${SIGNED_PREFIX}.${payload}.${toBase64Url(mac)}`;
}

/** Checks a signed token; returns its claims, or a reason it is refused. `now` is seconds since the epoch. */
export async function verifyClaims(
  token: string,
  secret: string,
  now: number,
): Promise<{ ok: true; claims: SignedClaims } | { ok: false; reason: string }> {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== SIGNED_PREFIX) return { ok: false, reason: 'not a Flurry join token or node credential' };
  const [, payload, mac] = parts as [string, string, string];
  let macBytes: Uint8Array<ArrayBuffer>;
  try {
    macBytes = fromBase64Url(mac);
  } catch {
    return { ok: false, reason: 'malformed token' };
  }
  const valid = await crypto.subtle.verify('HMAC', await hmacKey(secret), macBytes, utf8.encode(`${SIGNED_PREFIX}.${payload}`));
  if (!valid) return { ok: false, reason: 'token signature does not match this instance' };
  let claims: SignedClaims;
  try {
    claims = JSON.parse(utf8.decode(fromBase64Url(payload))) as SignedClaims;
  } catch {
    return { ok: false, reason: 'malformed token' };
  }
  if (typeof claims.exp !== 'number' || claims.exp <= now) return { ok: false, reason: 'token has expired' };
  return { ok: true, claims };
}

/** Reads a signed token's claims without checking it (for display, e.g. the pool of a join token). */
export function peekClaims(token: string): SignedClaims | undefined {
  try {
    return JSON.parse(utf8.decode(fromBase64Url(token.split('.')[1] ?? ''))) as SignedClaims;
  } catch {
    return undefined;
  }
}
