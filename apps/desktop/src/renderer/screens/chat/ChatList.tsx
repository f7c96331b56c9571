import type { Contact, ConversationSummary } from '@parley/shared';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Avatar } from '../../components/Avatar.js';
import { useNow } from '../../hooks/useNow.js';
import { usePresence } from '../../hooks/usePresence.js';
import { formatListTime } from '../../i18n/format.js';
import { useContacts } from '../../stores/contacts.js';
import { useConversations } from '../../stores/conversations.js';
import { messagePreview } from './message-preview.js';
import { byName, moveFocusInList } from './navigation.js';

const matches = (query: string, ...fields: string[]) => {
  const q = query.toLocaleLowerCase();
  return fields.some((f) => f.toLocaleLowerCase().includes(q));
};

/** Three dots instead of the preview while they type (the word is for screen readers). */
function TypingDots() {
  const { t } = useTranslation();
  return (
    <span className="typing-dots" role="img" aria-label={t('sidebar.typing')}>
      <span />
      <span />
      <span />
    </span>
  );
}

/** A row of the list that opens the chat with `peerId`; one Tab stop for the whole list. */
function ChatButton({ peerId, tabStop, children }: { peerId: string; tabStop: boolean; children: ReactNode }) {
  const selected = useConversations((s) => s.selected === peerId);
  return (
    <li>
      <button
        type="button"
        className="chat-item"
        data-nav-item
        tabIndex={tabStop ? 0 : -1}
        aria-current={selected ? 'true' : undefined}
        onClick={() => useConversations.getState().open(peerId)}
      >
        {children}
      </button>
    </li>
  );
}

function ChatItem({ chat, tabStop }: { chat: ConversationSummary; tabStop: boolean }) {
  const { t, i18n } = useTranslation();
  const now = useNow(60_000);
  const online = usePresence(chat.peer.id)?.online;
  const typing = useContacts((s) => Boolean(s.typing[chat.peer.id]));
  const last = chat.lastMessage;
  const firstLine = last ? messagePreview(last, t) : '';
  const preview = last?.direction === 'out' ? t('sidebar.you', { text: firstLine }) : firstLine;
  return (
    <ChatButton peerId={chat.peer.id} tabStop={tabStop}>
      <Avatar id={chat.peer.id} name={chat.peer.displayName} online={online} />
      <span className="chat-main">
        <span className="chat-line">
          <span className="chat-name">{chat.peer.displayName}</span>
          {last ? (
            <time className="chat-time" dateTime={last.serverTimestamp ?? last.sentAt}>
              {formatListTime(last.serverTimestamp ?? last.sentAt, i18n.language, now)}
            </time>
          ) : null}
        </span>
        <span className="chat-line">
          <span className="chat-preview">{typing ? <TypingDots /> : preview}</span>
          {chat.unreadCount > 0 ? (
            <>
              <span className="badge" aria-hidden="true">
                {chat.unreadCount > 99 ? '99+' : chat.unreadCount}
              </span>
              <span className="visually-hidden">{t('sidebar.unread', { count: chat.unreadCount })}</span>
            </>
          ) : null}
        </span>
      </span>
    </ChatButton>
  );
}

/** A contact without a chat yet: their username, or the dots while they write to me (the chat's first message on its way). */
function ContactItem({ contact, tabStop }: { contact: Contact; tabStop: boolean }) {
  const online = usePresence(contact.userId)?.online;
  const typing = useContacts((s) => Boolean(s.typing[contact.userId]));
  return (
    <ChatButton peerId={contact.userId} tabStop={tabStop}>
      <Avatar id={contact.userId} name={contact.displayName} online={online} />
      <span className="chat-main">
        <span className="chat-line">
          <span className="chat-name">{contact.displayName}</span>
        </span>
        <span className="chat-line">
          <span className="chat-preview">{typing ? <TypingDots /> : `@${contact.username}`}</span>
        </span>
      </span>
    </ChatButton>
  );
}

/**
 * Chats, then contacts without a chat yet, filtered by the search field. One Tab stop for the
 * whole list; arrows, Home and End move within it.
 */
export function ChatList({ query }: { query: string }) {
  const { t } = useTranslation();
  const summaries = useConversations((s) => s.summaries);
  const loaded = useConversations((s) => s.loaded);
  const selected = useConversations((s) => s.selected);
  const contacts = useContacts((s) => s.contacts);

  const withChat = new Set(summaries.map((c) => c.peer.id));
  const chats = query ? summaries.filter((c) => matches(query, c.peer.displayName, c.peer.username)) : summaries;
  const others = contacts
    .filter((c) => !withChat.has(c.userId) && (!query || matches(query, c.displayName, c.username)))
    .sort(byName);
  const ids = [...chats.map((c) => c.peer.id), ...others.map((c) => c.userId)];
  const tabStop = selected && ids.includes(selected) ? selected : ids[0];

  if (ids.length === 0) {
    // While searching, the directory below answers; an empty list needs no words then.
    return loaded && !query ? <p className="sidebar-empty">{t('sidebar.noChats')}</p> : null;
  }
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: arrow keys move the focus between the buttons inside
    <div onKeyDown={(event) => moveFocusInList(event)}>
      {chats.length > 0 ? (
        <section aria-label={t('sidebar.chats')}>
          <ul className="chat-list">
            {chats.map((chat) => (
              <ChatItem key={chat.peer.id} chat={chat} tabStop={tabStop === chat.peer.id} />
            ))}
          </ul>
        </section>
      ) : null}
      {others.length > 0 ? (
        <section aria-labelledby="sidebar-contacts">
          <h3 id="sidebar-contacts" className="list-heading">
            {t('sidebar.contacts')}
          </h3>
          <ul className="chat-list">
            {others.map((contact) => (
              <ContactItem key={contact.userId} contact={contact} tabStop={tabStop === contact.userId} />
            ))}
          </ul>
        </section>
      ) : null}
    </div>
  );
}
