// secrets.ts - the instance's secrets, which never enter the table: the pepper for user-token hashes, the HMAC key
// for join tokens and node credentials, and the Ed25519 key that signs `job.start`. Local mode keeps them in a
// 0600 file in the instance directory; on AWS they live in Secrets Manager.
import { generateSigningKey, type SigningKeyPair } from './signing.ts';
import { randomBytes, toBase64Url } from './encoding.ts';

export interface Secrets {
  tokenPepper: string;
  joinKey: string;
  signingKey: SigningKeyPair;
}

export async function generateSecrets(): Promise<Secrets> {
  return {
    tokenPepper: toBase64Url(randomBytes(32)),
    joinKey: toBase64Url(randomBytes(32)),
    signingKey: await generateSigningKey(),
  };
}

/** Checks the shape of secrets read from a file or a secret store. */
export function parseSecrets(value: unknown): Secrets {
  const s = value as Partial<Secrets> | null;
  if (!s || typeof s.tokenPepper !== 'string' || typeof s.joinKey !== 'string' || !s.signingKey?.privateJwk || typeof s.signingKey.publicKey !== 'string') {
    throw new Error('secrets: expected tokenPepper, joinKey and signingKey {privateJwk, publicKey}');
  }
  return s as Secrets;
}
