import {
  canDeleteForEveryone,
  canEdit,
  INLINE_IMAGE_TYPES,
  type LocalMessage,
  type MessageVersion,
  type Quote,
  type Reaction,
} from '@parley/shared';
import type { TFunction } from 'i18next';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { errorMessage, parley } from '../../api.js';
import { Dialog } from '../../components/Dialog.js';
import type { MenuGroup } from '../../components/Menu.js';
import { formatTime } from '../../i18n/format.js';
import { attachmentUrl } from '../../platform/attachment-url.js';
import { useContacts } from '../../stores/contacts.js';
import { findPeer, useConversations } from '../../stores/conversations.js';
import { useMessages } from '../../stores/messages.js';
import { useSession } from '../../stores/session.js';
import { attachmentSummary } from './message-preview.js';

/** The reactions the menu offers at once (as Signal does). */
export const QUICK_REACTIONS = ['❤️', '👍', '👎', '😂', '😮', '😢'] as const;

/** A person's name as this chat shows it: "You", or their display name. */
function useNameOf(): (userId: string) => string {
  const { t } = useTranslation();
  const me = useSession((s) => s.session?.user.id);
  useContacts((s) => s.contacts); // names follow renames
  return (userId) => (userId === me ? t('conversation.you') : (findPeer(userId)?.displayName ?? '…'));
}

/** What a message or quote says in a line: its text, or its attachment's summary. */
function quoteText(quote: Quote, t: TFunction): string {
  if (quote.text) return quote.text;
  return quote.attachment
    ? attachmentSummary({ ...quote.attachment, id: '', key: '', digest: '', size: 0 }, t)
    : t('messageActions.deleted');
}

/**
 * The message a reply answers: author, snippet, and the original's thumbnail when it is a picture
 * here. Choosing it brings the original into view (loading older pages until it is there).
 */
export function QuoteView({ quote, peerUserId }: { quote: Quote; peerUserId: string }) {
  const { t } = useTranslation();
  const nameOf = useNameOf();
  const original = useMessages((s) => s.threads[peerUserId]?.messages.find((m) => m.id === quote.id));
  const text = quoteText(quote, t);
  const thumbnail =
    original?.attachmentReady && original.attachment && INLINE_IMAGE_TYPES.has(original.attachment.contentType);
  return (
    <button
      type="button"
      className="quote"
      aria-label={t('messageActions.quoteOf', { name: nameOf(quote.author), text })}
      onClick={() => useMessages.getState().setFocus({ peerUserId, messageId: quote.id })}
    >
      {thumbnail ? <img className="quote-thumbnail" src={attachmentUrl(quote.id)} alt="" /> : null}
      <span className="quote-author">{nameOf(quote.author)}</span>
      <span className="quote-text">{text}</span>
    </button>
  );
}

/** The reactions under a message: each emoji with its count and who; choosing one sets or takes back mine. */
export function ReactionsBar({ message }: { message: LocalMessage }) {
  const { t } = useTranslation();
  const nameOf = useNameOf();
  const me = useSession((s) => s.session?.user.id);
  const [problem, setProblem] = useState<string | null>(null);
  if (message.reactions.length === 0) return null;
  const byEmoji = new Map<string, Reaction[]>();
  for (const r of message.reactions) byEmoji.set(r.emoji, [...(byEmoji.get(r.emoji) ?? []), r]);
  return (
    // biome-ignore lint/a11y/useSemanticElements: a labelled group of buttons, not a form fieldset
    <div className="reactions" role="group" aria-label={t('messageActions.reactions')}>
      {[...byEmoji].map(([emoji, who]) => {
        const mine = who.some((r) => r.userId === me);
        const names = who.map((r) => nameOf(r.userId)).join(', ');
        return (
          <button
            key={emoji}
            type="button"
            className={`reaction${mine ? ' mine' : ''}`}
            aria-pressed={mine}
            aria-label={t('messageActions.reactionBy', { emoji, count: who.length, names })}
            title={names}
            onClick={() => {
              setProblem(null);
              parley
                .react(message.id, mine ? null : emoji)
                .catch((error: unknown) => setProblem(errorMessage(error, t)));
            }}
          >
            <span aria-hidden="true">{emoji}</span> <span aria-hidden="true">{who.length}</span>
          </button>
        );
      })}
      {problem ? (
        <span role="alert" className="form-error">
          {problem}
        </span>
      ) : null}
    </div>
  );
}

/** What a person can do with a message now, for its menu. */
export function menuGroups(
  message: LocalMessage,
  t: TFunction,
  me: string | undefined,
  act: (action: 'delete' | 'forward' | 'history') => void,
): MenuGroup[] {
  const peerUserId = message.peerUserId;
  const messages = useMessages.getState();
  const groups: MenuGroup[] = [];
  if (!message.deleted) {
    const mine = message.reactions.find((r) => r.userId === me)?.emoji;
    groups.push({
      label: t('messageActions.reactions'),
      row: true,
      items: QUICK_REACTIONS.map((emoji) => ({
        label: emoji === mine ? t('messageActions.removeReaction', { emoji }) : t('messageActions.react', { emoji }),
        content: emoji,
        checked: emoji === mine,
        onSelect: () => void parley.react(message.id, emoji === mine ? null : emoji).catch(() => {}),
      })),
    });
  }
  const items: MenuGroup['items'] = [];
  if (!message.deleted) {
    items.push({
      label: t('messageActions.reply'),
      onSelect: () => messages.setCompose(peerUserId, { mode: 'reply', message }),
    });
    if (canEdit(message))
      items.push({
        label: t('messageActions.edit'),
        onSelect: () => messages.setCompose(peerUserId, { mode: 'edit', message }),
      });
    if (message.text)
      items.push({
        label: t('messageActions.copy'),
        onSelect: () => void navigator.clipboard?.writeText(message.text).catch(() => {}),
      });
    if (message.attachment && message.attachmentReady) {
      const { name } = message.attachment;
      items.push({
        label: t('messageActions.save'),
        onSelect: () => {
          const link = Object.assign(document.createElement('a'), {
            href: attachmentUrl(message.id, true),
            download: name,
          });
          link.click();
        },
      });
    }
    items.push({ label: t('messageActions.forward'), onSelect: () => act('forward') });
    if (message.editCount > 0) items.push({ label: t('messageActions.showEdits'), onSelect: () => act('history') });
  }
  items.push({ label: t('messageActions.select'), onSelect: () => messages.toggleSelected(peerUserId, message.id) });
  items.push({ label: t('messageActions.delete'), danger: true, onSelect: () => act('delete') });
  groups.push({ items });
  return groups;
}

/** Delete for me, or (my own recent messages only) for everyone. */
export function DeleteDialog({ messages, onClose }: { messages: LocalMessage[]; onClose: (done: boolean) => void }) {
  const { t } = useTranslation();
  const [problem, setProblem] = useState<string | null>(null);
  const forEveryone = messages.every((m) => canDeleteForEveryone(m));
  const remove = async (everyone: boolean) => {
    try {
      await parley.deleteMessages(
        messages.map((m) => m.id),
        everyone,
      );
      onClose(true);
    } catch (error) {
      setProblem(errorMessage(error, t));
    }
  };
  return (
    <Dialog title={t('messageActions.deleteTitle', { count: messages.length })} onClose={() => onClose(false)}>
      <p>{t('messageActions.deleteBody')}</p>
      {problem ? (
        <p role="alert" className="form-error">
          {problem}
        </p>
      ) : null}
      <div className="dialog-actions">
        <button type="button" data-autofocus onClick={() => onClose(false)}>
          {t('confirm.cancel')}
        </button>
        <button type="button" className="danger" onClick={() => void remove(false)}>
          {t('messageActions.deleteForMe')}
        </button>
        {forEveryone ? (
          <button type="button" className="danger" onClick={() => void remove(true)}>
            {t('messageActions.deleteForEveryone')}
          </button>
        ) : null}
      </div>
    </Dialog>
  );
}

/** Picks the chat to forward to (chats and contacts, searchable), forwards, and opens it. */
export function ForwardDialog({ messageIds, onClose }: { messageIds: string[]; onClose: (done: boolean) => void }) {
  const { t } = useTranslation();
  const [query, setQuery] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const summaries = useConversations((s) => s.summaries);
  const contacts = useContacts((s) => s.contacts);
  const people = new Map(summaries.map((c) => [c.peer.id, c.peer.displayName]));
  for (const c of contacts) if (!people.has(c.userId)) people.set(c.userId, c.displayName);
  const needle = query.trim().toLocaleLowerCase();
  const shown = [...people].filter(([, name]) => name.toLocaleLowerCase().includes(needle));
  const forward = async (peerUserId: string) => {
    try {
      await parley.forwardMessages(messageIds, peerUserId);
      onClose(true);
      useConversations.getState().open(peerUserId);
    } catch (error) {
      setProblem(errorMessage(error, t));
    }
  };
  return (
    <Dialog title={t('messageActions.forwardTitle')} onClose={() => onClose(false)} className="forward-dialog">
      <input
        type="search"
        aria-label={t('messageActions.forwardSearch')}
        placeholder={t('messageActions.forwardSearch')}
        value={query}
        onChange={(event) => setQuery(event.target.value)}
        data-autofocus
      />
      {problem ? (
        <p role="alert" className="form-error">
          {problem}
        </p>
      ) : null}
      <ul className="forward-targets">
        {shown.map(([id, name]) => (
          <li key={id}>
            <button type="button" aria-label={t('messageActions.forwardTo', { name })} onClick={() => void forward(id)}>
              {name}
            </button>
          </li>
        ))}
        {shown.length === 0 ? <li className="hint">{t('messageActions.noChats')}</li> : null}
      </ul>
      <div className="dialog-actions">
        <button type="button" onClick={() => onClose(false)}>
          {t('confirm.cancel')}
        </button>
      </div>
    </Dialog>
  );
}

/** The texts an edited message had before, oldest first, then the one it has now. */
export function EditHistoryDialog({ message, onClose }: { message: LocalMessage; onClose: () => void }) {
  const { t, i18n } = useTranslation();
  const [versions, setVersions] = useState<MessageVersion[] | null>(null);
  useEffect(() => {
    parley.editHistory(message.id).then(setVersions, () => setVersions([]));
  }, [message.id]);
  const all = [...(versions ?? []), { text: message.text, at: message.editedAt ?? message.sentAt }];
  return (
    <Dialog title={t('messageActions.historyTitle')} onClose={onClose}>
      <ol className="edit-history">
        {all.map((v) => (
          <li key={`${v.at}:${v.text}`}>
            <time dateTime={v.at}>{formatTime(v.at, i18n.language)}</time> <span>{v.text}</span>
          </li>
        ))}
      </ol>
      <div className="dialog-actions">
        <button type="button" data-autofocus onClick={onClose}>
          {t('messageActions.close')}
        </button>
      </div>
    </Dialog>
  );
}

/** While messages are picked: how many, and Forward, Delete or Cancel for them all. */
export function SelectionBar({
  peerUserId,
  onAct,
}: {
  peerUserId: string;
  onAct: (action: 'delete' | 'forward', ids: string[]) => void;
}) {
  const { t } = useTranslation();
  const selection = useMessages((s) => (s.selection?.peerUserId === peerUserId ? s.selection.ids : null));
  if (!selection) return null;
  return (
    <div className="selection-bar" role="toolbar" aria-label={t('messageActions.selecting')}>
      <span aria-live="polite">{t('messageActions.selected', { count: selection.length })}</span>
      <button type="button" disabled={selection.length === 0} onClick={() => onAct('forward', selection)}>
        {t('messageActions.forward')}
      </button>
      <button
        type="button"
        className="danger"
        disabled={selection.length === 0}
        onClick={() => onAct('delete', selection)}
      >
        {t('messageActions.delete')}
      </button>
      <button type="button" onClick={() => useMessages.getState().clearSelection()}>
        {t('messageActions.cancelSelection')}
      </button>
    </div>
  );
}
