import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { errors, jwtVerify, SignJWT } from 'jose';
import { CONFIG, type Config } from '../config/config.js';
import { AppError } from '../http/app-error.js';
import { JWT_SECRET } from './jwt-secret.js';

export interface AccessClaims {
  userId: string;
  deviceId: string;
}

/** Short-lived JWT access tokens and opaque 256-bit refresh tokens (stored only as SHA-256). */
@Injectable()
export class Tokens {
  private readonly key: Uint8Array;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(JWT_SECRET) secret: string,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  async issueAccess(claims: AccessClaims): Promise<{ accessToken: string; accessTokenExpiresAt: string }> {
    const expiresAt = Math.floor(Date.now() / 1000) + this.config.ACCESS_TOKEN_TTL_SECONDS;
    const accessToken = await new SignJWT({ did: claims.deviceId })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(claims.userId)
      .setIssuedAt()
      .setExpirationTime(expiresAt)
      .sign(this.key);
    return { accessToken, accessTokenExpiresAt: new Date(expiresAt * 1000).toISOString() };
  }

  /** The token's claims and when it expires (ms since the epoch). */
  async verifyAccess(token: string): Promise<AccessClaims & { expiresAt: number }> {
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'] });
      if (typeof payload.sub !== 'string' || typeof payload.did !== 'string' || typeof payload.exp !== 'number') {
        throw new errors.JWTInvalid('claims');
      }
      return { userId: payload.sub, deviceId: payload.did, expiresAt: payload.exp * 1000 };
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw new AppError('TOKEN_EXPIRED', 'The access token has expired');
      throw new AppError('UNAUTHENTICATED', 'The access token is not valid');
    }
  }

  /** Whether a refresh token rotated at `rotatedAt` may still be exchanged once more (a lost answer). */
  inReuseGrace(rotatedAt: Date): boolean {
    return Date.now() - rotatedAt.getTime() <= this.config.REFRESH_REUSE_GRACE_SECONDS * 1000;
  }

  newRefreshToken(): { token: string; hash: Buffer; expiresAt: Date } {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + this.config.REFRESH_TOKEN_TTL_DAYS * 86_400_000);
    return { token, hash: hashRefreshToken(token), expiresAt };
  }
}

export const hashRefreshToken = (token: string): Buffer => createHash('sha256').update(token).digest();
