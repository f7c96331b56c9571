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
  /** Largest JSON body any route accepts. */
  jsonBodyBytes: 64 * 1024,
} as const;

/** `a-z 0-9 _ .`; input may use capitals, usernames are stored and compared lowercased. */
export const USERNAME_PATTERN = /^[A-Za-z0-9_.]+$/;

export const API_PREFIX = '/api/v1';
