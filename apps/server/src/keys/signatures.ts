import { Curve25519Wrapper } from '@privacyresearch/curve25519-typescript';

/** libsignal's serialized Curve25519 public keys start with this type byte. */
const DJB_TYPE = 0x05;

let curve: Promise<Curve25519Wrapper> | undefined;

const arrayBuffer = (bytes: Buffer): ArrayBuffer => new Uint8Array(bytes).buffer;

/**
 * Whether `signature` is the identity key's XEdDSA signature of the signed prekey's serialized
 * public key, as libsignal makes and checks it. The curve is the one the client's Signal library
 * signs with (the Curve25519 reference code compiled to WebAssembly).
 */
export async function signedPreKeyIsValid(identityKey: Buffer, publicKey: Buffer, signature: Buffer): Promise<boolean> {
  if (identityKey.length !== 33 || identityKey[0] !== DJB_TYPE || signature.length !== 64) return false;
  curve ??= Curve25519Wrapper.create();
  return (await curve).signatureIsValid(
    arrayBuffer(identityKey.subarray(1)),
    arrayBuffer(publicKey),
    arrayBuffer(signature),
  );
}
