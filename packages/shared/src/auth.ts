import { z } from 'zod';
import { DeviceName, DisplayName, InviteCode, IsoDate, OpaqueToken, Password, Username, Uuid } from './fields.js';

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
  /** Required when the server's registration is `invite` (see RegistrationInfo); ignored when `open`. */
  inviteCode: InviteCode.optional(),
});
export type RegisterRequest = z.input<typeof RegisterRequest>;

/**
 * Who may create an account on this server (its REGISTRATION setting): anyone, only holders of
 * an invite code from its admin, or no one (accounts are made by the admin).
 */
export const RegistrationMode = z.enum(['open', 'invite', 'closed']);
export type RegistrationMode = z.infer<typeof RegistrationMode>;

export const RegistrationInfo = z.object({ mode: RegistrationMode });
export type RegistrationInfo = z.infer<typeof RegistrationInfo>;

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
