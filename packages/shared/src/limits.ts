/** Limits both sides enforce. The server is the authority; clients use them to validate early. */
export const LIMITS = {
  username: { min: 3, max: 32 },
  password: { min: 8, max: 256 },
  displayName: { min: 1, max: 64 },
  deviceName: { min: 1, max: 64 },
  searchQuery: { min: 1, max: 64 },
  /** Page sizes for every paginated list. */
  page: { default: 20, max: 50 },
  /** A personal address book holds at most this many contacts. */
  contacts: 5000,
  /** Opaque tokens (refresh tokens, cursors) are never longer than this. */
  tokenLength: 512,
  /** Largest JSON body of most routes. */
  jsonBodyBytes: 64 * 1024,
  /** Largest body of a send (envelopes for every device) and largest socket message. */
  sendBodyBytes: 2 * 1024 * 1024,
  /** Largest ciphertext of one envelope, in bytes (before base64). */
  envelopeBytes: 64 * 1024,
  /** Destination devices of one send (recipient's devices and my other devices). */
  devicesPerSend: 32,
  /** Envelopes pushed to a device per page while it drains its queue. */
  drainPage: 100,
  /** One-time prekeys per upload, and the most a device may hold. */
  preKeysPerUpload: 200,
  preKeysPerDevice: 1_000,
  /** Below this many one-time prekeys the device is told to upload more. */
  preKeyLowWater: 20,
  /** Users one attachment can be shared with besides its recipient (forwards of it). */
  attachmentShares: 100,
  /** Message ids in one read-receipt call. */
  receiptsPerCall: 200,
} as const;

/** `a-z 0-9 _ .`; input may use capitals, usernames are stored and compared lowercased. */
export const USERNAME_PATTERN = /^[A-Za-z0-9_.]+$/;

export const API_PREFIX = '/api/v1';
