import { z } from 'zod';
import { User } from './auth.js';
import { DisplayName, IsoDate, OpaqueToken, PageLimit, Uuid } from './fields.js';
import { LIMITS } from './limits.js';

export const SearchText = z
  .string()
  .transform((s) => s.normalize('NFC').trim())
  .pipe(z.string().min(LIMITS.searchQuery.min).max(LIMITS.searchQuery.max));

export const UserSearchQuery = z.strictObject({
  q: SearchText,
  limit: PageLimit,
  cursor: OpaqueToken.optional(),
});
export type UserSearchQuery = z.input<typeof UserSearchQuery>;

export const UserPage = z.object({
  items: z.array(User),
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: z.string().nullable(),
});
export type UserPage = z.infer<typeof UserPage>;

export const UpdateMeRequest = z.strictObject({ displayName: DisplayName });
export type UpdateMeRequest = z.input<typeof UpdateMeRequest>;

export const Presence = z.object({
  online: z.boolean(),
  /** When the last device went offline; null while online or never seen. */
  lastSeenAt: IsoDate.nullable(),
});
export type Presence = z.infer<typeof Presence>;

export const Contact = z.object({
  userId: Uuid,
  username: z.string(),
  displayName: z.string(),
  addedAt: IsoDate,
  /** Null unless the contact has me in their contacts too: presence is theirs to share. */
  presence: Presence.nullable(),
});
export type Contact = z.infer<typeof Contact>;

export const ContactList = z.object({ items: z.array(Contact) });
export type ContactList = z.infer<typeof ContactList>;

export const ContactListQuery = z.strictObject({ q: SearchText.optional() });

/** Add by id or by username: exactly one of the two. */
export const AddContactRequest = z.union([
  z.strictObject({ userId: Uuid }),
  z.strictObject({
    username: z
      .string()
      .min(1)
      .max(LIMITS.username.max)
      .transform((s) => s.toLowerCase()),
  }),
]);
export type AddContactRequest = z.input<typeof AddContactRequest>;

export const ContactParams = z.strictObject({ userId: Uuid });
