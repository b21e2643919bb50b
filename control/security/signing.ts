// signing.ts - Ed25519 signatures over `job.start` bodies (agent protocol 5.1-5.2), on WebCrypto.
// The control plane holds the private key (outside the table); agents hold only the public key.
import { canonicalJson } from '../agents/protocol.ts';
import { fromBase64Url, toBase64Url, utf8 } from './encoding.ts';

export interface SigningKeyPair {
  /** JWK of the private key, as stored in the secrets file or parameter. */
  privateJwk: JsonWebKey;
  /** base64url of the 32 raw public-key bytes, as sent in `welcome`. */
  publicKey: string;
}

export async function generateSigningKey(): Promise<SigningKeyPair> {
  const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const privateJwk = await crypto.subtle.exportKey('jwk', pair.privateKey);
  const raw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  return { privateJwk, publicKey: toBase64Url(raw) };
}

/** A signer bound to one private key (imported once). */
export async function createSigner(privateJwk: JsonWebKey): Promise<(body: unknown) => Promise<string>> {
  const key = await crypto.subtle.importKey('jwk', privateJwk, { name: 'Ed25519' }, false, ['sign']);
  return async (body) => toBase64Url(new Uint8Array(await crypto.subtle.sign('Ed25519', key, utf8.encode(canonicalJson(body)))));
}

/** A verifier bound to one public key; resolves false for any bad signature rather than throwing. */
export async function createVerifier(publicKey: string): Promise<(body: unknown, signature: string) => Promise<boolean>> {
  const key = await crypto.subtle.importKey('raw', fromBase64Url(publicKey), { name: 'Ed25519' }, false, ['verify']);
  return async (body, signature) => {
    try {
      return await crypto.subtle.verify('Ed25519', key, fromBase64Url(signature), utf8.encode(canonicalJson(body)));
    } catch {
      return false;
    }
  };
}
