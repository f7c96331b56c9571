import { z } from 'zod';
import { DeviceName, DisplayName, IsoDate, OpaqueToken, Password, Username, Uuid } from './fields.js';

export const User = z.object({
  id: Uuid,
  username: z.string(),
  displayName: z.string(),
});
export type User = z.infer<typeof User>;

export const DeviceInput = z.strictObject({ name: DeviceName });

export const RegisterRequest = z.strictObject({
  username: Username,
  password: Password,
  displayName: DisplayName,
  device: DeviceInput,
});
export type RegisterRequest = z.input<typeof RegisterRequest>;

export const LoginRequest = z.strictObject({
  username: Username,
  password: Password,
  device: DeviceInput,
});
export type LoginRequest = z.input<typeof LoginRequest>;

export const TokenPair = z.object({
  accessToken: z.string(),
  /** When the access token stops being accepted. */
  accessTokenExpiresAt: IsoDate,
  refreshToken: z.string(),
});
export type TokenPair = z.infer<typeof TokenPair>;

export const AuthResponse = TokenPair.extend({
  user: User,
  deviceId: Uuid,
});
export type AuthResponse = z.infer<typeof AuthResponse>;

export const RefreshRequest = z.strictObject({ refreshToken: OpaqueToken });
export type RefreshRequest = z.infer<typeof RefreshRequest>;

export const Device = z.object({
  id: Uuid,
  name: z.string(),
  createdAt: IsoDate,
  lastSeenAt: IsoDate,
  /** True for the device making the request. */
  current: z.boolean(),
});
export type Device = z.infer<typeof Device>;

export const DeviceList = z.object({ items: z.array(Device) });
export type DeviceList = z.infer<typeof DeviceList>;

export const DeviceIdParams = z.strictObject({ id: Uuid });
