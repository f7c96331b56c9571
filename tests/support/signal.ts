import { newRegistrationId } from '@parley/desktop';
import type { CiphertextType, DeviceBundle, UploadKeysRequest } from '@parley/shared';
import {
  Direction,
  KeyHelper,
  type KeyPairType,
  SessionBuilder,
  SessionCipher,
  SignalProtocolAddress,
  type StorageType,
} from '@privacyresearch/libsignal-protocol-typescript';

const b64 = (buffer: ArrayBuffer) => Buffer.from(buffer).toString('base64');
const buf = (base64: string): ArrayBuffer => {
  const b = Buffer.from(base64, 'base64');
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
};

/** Protocol state of one test device, kept in memory (a test's stand-in for the client's store). */
class MemoryStore implements StorageType {
  private readonly data = new Map<string, unknown>();
  // Plain fields, not parameter properties, so Node can run this file without a build step.
  private readonly identity: KeyPairType;
  private readonly registrationId: number;
  constructor(identity: KeyPairType, registrationId: number) {
    this.identity = identity;
    this.registrationId = registrationId;
  }
  getIdentityKeyPair = async () => this.identity;
  getLocalRegistrationId = async () => this.registrationId;
  isTrustedIdentity = async (id: string, key: ArrayBuffer, _direction: Direction) => {
    const known = this.data.get(`identity:${id}`) as ArrayBuffer | undefined;
    return !known || Buffer.from(known).equals(Buffer.from(key));
  };
  saveIdentity = async (address: string, key: ArrayBuffer) => {
    const id = address.split('.')[0] as string;
    const known = this.data.get(`identity:${id}`) as ArrayBuffer | undefined;
    this.data.set(`identity:${id}`, key);
    return !!known && !Buffer.from(known).equals(Buffer.from(key));
  };
  loadPreKey = async (id: string | number) => this.data.get(`prekey:${id}`) as KeyPairType | undefined;
  storePreKey = async (id: string | number, pair: KeyPairType) => void this.data.set(`prekey:${id}`, pair);
  removePreKey = async (id: string | number) => void this.data.delete(`prekey:${id}`);
  storeSession = async (address: string, record: string) => void this.data.set(`session:${address}`, record);
  loadSession = async (address: string) => this.data.get(`session:${address}`) as string | undefined;
  loadSignedPreKey = async (id: string | number) => this.data.get(`signed:${id}`) as KeyPairType | undefined;
  storeSignedPreKey = async (id: string | number, pair: KeyPairType) => void this.data.set(`signed:${id}`, pair);
  removeSignedPreKey = async (id: string | number) => void this.data.delete(`signed:${id}`);
}

/** A device's Signal keys for tests: real libsignal keys with a real signature. */
export interface TestSignalDevice {
  upload: UploadKeysRequest;
  /** A new signed prekey, signed by this device's identity key. */
  newSignedPreKey(keyId: number): Promise<UploadKeysRequest['signedPreKey']>;
  encrypt(bundle: DeviceBundle, plaintext: string): Promise<{ type: CiphertextType; content: string }>;
  decrypt(senderDeviceId: string, type: CiphertextType, content: string): Promise<string>;
}

const address = (deviceId: string) => new SignalProtocolAddress(deviceId, 1);

export async function createSignalDevice(preKeyCount = 10, firstKeyId = 1): Promise<TestSignalDevice> {
  const identity = await KeyHelper.generateIdentityKeyPair();
  const registrationId = newRegistrationId();
  const store = new MemoryStore(identity, registrationId);
  const signed = await KeyHelper.generateSignedPreKey(identity, 1);
  await store.storeSignedPreKey(1, signed.keyPair);
  const preKeys = [];
  for (let i = 0; i < preKeyCount; i++) {
    const pk = await KeyHelper.generatePreKey(firstKeyId + i);
    await store.storePreKey(pk.keyId, pk.keyPair);
    preKeys.push({ keyId: pk.keyId, publicKey: b64(pk.keyPair.pubKey) });
  }
  return {
    upload: {
      registrationId,
      identityKey: b64(identity.pubKey),
      signedPreKey: { keyId: 1, publicKey: b64(signed.keyPair.pubKey), signature: b64(signed.signature) },
      preKeys,
    },
    async newSignedPreKey(keyId) {
      const next = await KeyHelper.generateSignedPreKey(identity, keyId);
      await store.storeSignedPreKey(keyId, next.keyPair);
      return { keyId, publicKey: b64(next.keyPair.pubKey), signature: b64(next.signature) };
    },
    async encrypt(bundle, plaintext) {
      const to = address(bundle.deviceId);
      if (!(await store.loadSession(to.toString()))) {
        await new SessionBuilder(store, to).processPreKey({
          registrationId: bundle.registrationId,
          identityKey: buf(bundle.identityKey),
          signedPreKey: {
            keyId: bundle.signedPreKey.keyId,
            publicKey: buf(bundle.signedPreKey.publicKey),
            signature: buf(bundle.signedPreKey.signature),
          },
          ...(bundle.preKey ? { preKey: { keyId: bundle.preKey.keyId, publicKey: buf(bundle.preKey.publicKey) } } : {}),
        });
      }
      const message = await new SessionCipher(store, to).encrypt(
        new TextEncoder().encode(plaintext).buffer as ArrayBuffer,
      );
      // libsignal's body is a binary string: one char per byte.
      return {
        type: message.type === 3 ? 'prekey' : 'whisper',
        content: Buffer.from(message.body ?? '', 'binary').toString('base64'),
      };
    },
    async decrypt(senderDeviceId, type, content) {
      const cipher = new SessionCipher(store, address(senderDeviceId));
      const body = Buffer.from(content, 'base64').toString('binary');
      const plain =
        type === 'prekey'
          ? await cipher.decryptPreKeyWhisperMessage(body, 'binary')
          : await cipher.decryptWhisperMessage(body, 'binary');
      return new TextDecoder().decode(plain);
    },
  };
}

export { Direction };
