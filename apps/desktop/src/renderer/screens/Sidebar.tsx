import type { User } from '@parley/shared';
import { type KeyboardEvent, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { errorText, parley } from '../api.js';
import { Avatar } from '../components/Avatar.js';
import { Icon } from '../components/Icon.js';
import { formatTime } from '../i18n/i18n.js';
import { useChats } from '../stores/chats.js';
import { usePeople } from '../stores/people.js';

const matches = (query: string, ...fields: string[]) =>
  fields.some((f) => f.toLowerCase().includes(query.toLowerCase()));

/** Chats, contacts and the user directory, with one search field for all three. */
export function Sidebar({ onOpenSettings, onOpenSearch }: { onOpenSettings: () => void; onOpenSearch: () => void }) {
  const { t, i18n } = useTranslation();
  const { conversations, selected, select } = useChats();
  const { contacts, add } = usePeople();
  const [query, setQuery] = useState('');
  const [directory, setDirectory] = useState<User[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const searchRef = useRef<HTMLInputElement>(null);

  // Ctrl/Cmd+K: find people and chats.
  useEffect(() => {
    const onKey = (e: globalThis.KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'k') {
        e.preventDefault();
        searchRef.current?.focus();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  // The directory, debounced.
  useEffect(() => {
    const q = query.trim();
    setProblem(null);
    if (!q) {
      setDirectory([]);
      setCursor(null);
      return;
    }
    const timer = setTimeout(() => {
      parley()
        .searchUsers(q)
        .then((page) => {
          setDirectory(page.items);
          setCursor(page.nextCursor);
        })
        .catch((error: unknown) => setProblem(errorText(error, t)));
    }, 250);
    return () => clearTimeout(timer);
  }, [query, t]);

  const q = query.trim();
  const shownChats = useMemo(
    () => (q ? conversations.filter((c) => matches(q, c.peer.displayName, c.peer.username)) : conversations),
    [conversations, q],
  );
  const withChat = new Set(conversations.map((c) => c.peer.id));
  const shownContacts = contacts.filter(
    (c) => !withChat.has(c.userId) && (!q || matches(q, c.displayName, c.username)),
  );
  const contactIds = new Set(contacts.map((c) => c.userId));
  const presenceOf = (id: string) => contacts.find((c) => c.userId === id)?.presence?.online ?? false;

  const onListKey = (e: KeyboardEvent<HTMLElement>) => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    const buttons = [...e.currentTarget.querySelectorAll<HTMLButtonElement>('button.chat-item')];
    const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
    const next = buttons[Math.max(0, Math.min(buttons.length - 1, at + (e.key === 'ArrowDown' ? 1 : -1)))];
    if (next) {
      e.preventDefault();
      next.focus();
    }
  };

  return (
    <nav className="sidebar" aria-label={t('sidebar.chats')}>
      <header className="sidebar-header">
        <span className="brand">{t('appName')}</span>
        <button
          type="button"
          className="icon"
          aria-label={t('sidebar.searchMessages')}
          title={t('sidebar.searchMessages')}
          onClick={onOpenSearch}
        >
          <Icon name="search" />
        </button>
        <button
          type="button"
          className="icon"
          aria-label={t('sidebar.settings')}
          title={t('sidebar.settings')}
          onClick={onOpenSettings}
        >
          <Icon name="settings" />
        </button>
      </header>
      <input
        ref={searchRef}
        className="search"
        type="search"
        aria-label={t('sidebar.search')}
        placeholder={t('sidebar.search')}
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        onKeyDown={(e) => e.key === 'Escape' && setQuery('')}
      />
      {/* biome-ignore lint/a11y/noStaticElementInteractions: arrow keys move focus between the chat buttons inside */}
      <div className="sidebar-lists" onKeyDown={onListKey}>
        <section aria-label={t('sidebar.chats')}>
          {shownChats.length === 0 && !q ? <p className="empty">{t('sidebar.noChats')}</p> : null}
          <ul className="chat-list">
            {shownChats.map((c) => (
              <li key={c.peer.id}>
                <button
                  type="button"
                  className={`chat-item${selected === c.peer.id ? ' selected' : ''}`}
                  aria-current={selected === c.peer.id ? 'true' : undefined}
                  onClick={() => select(c.peer.id)}
                >
                  <Avatar id={c.peer.id} name={c.peer.displayName} online={presenceOf(c.peer.id)} />
                  <span className="chat-text">
                    <span className="chat-name">{c.peer.displayName}</span>
                    <span className="chat-preview">{c.lastMessage?.text.split('\n')[0] ?? ''}</span>
                  </span>
                  <span className="chat-meta">
                    {c.lastMessage ? (
                      <time dateTime={c.lastMessage.sentAt}>
                        {formatTime(c.lastMessage.serverTimestamp ?? c.lastMessage.sentAt, i18n.language)}
                      </time>
                    ) : null}
                    {c.unreadCount > 0 ? (
                      <span className="badge" role="status" aria-label={t('sidebar.unread', { count: c.unreadCount })}>
                        {c.unreadCount}
                      </span>
                    ) : null}
                  </span>
                </button>
              </li>
            ))}
          </ul>
        </section>
        {shownContacts.length > 0 ? (
          <section aria-label={t('sidebar.contacts')}>
            <h3>{t('sidebar.contacts')}</h3>
            <ul className="chat-list">
              {shownContacts.map((c) => (
                <li key={c.userId}>
                  <button
                    type="button"
                    className={`chat-item${selected === c.userId ? ' selected' : ''}`}
                    onClick={() => select(c.userId)}
                  >
                    <Avatar id={c.userId} name={c.displayName} online={c.presence?.online} />
                    <span className="chat-text">
                      <span className="chat-name">{c.displayName}</span>
                      <span className="chat-preview">@{c.username}</span>
                    </span>
                  </button>
                </li>
              ))}
            </ul>
          </section>
        ) : null}
        {q ? (
          <section aria-label={t('sidebar.directory')}>
            <h3>{t('sidebar.directory')}</h3>
            {problem ? <p role="alert">{problem}</p> : null}
            <ul className="chat-list">
              {directory.map((u) => (
                <li key={u.id} className="directory-item">
                  <button
                    type="button"
                    className="chat-item"
                    onClick={() => {
                      useChats.getState().remember(u);
                      select(u.id);
                    }}
                  >
                    <Avatar id={u.id} name={u.displayName} />
                    <span className="chat-text">
                      <span className="chat-name">{u.displayName}</span>
                      <span className="chat-preview">@{u.username}</span>
                    </span>
                  </button>
                  {contactIds.has(u.id) ? (
                    <span className="added">{t('sidebar.added')}</span>
                  ) : (
                    <button
                      type="button"
                      className="small"
                      aria-label={t('sidebar.add', { name: u.displayName })}
                      onClick={() => void add(u.id).catch((error: unknown) => setProblem(errorText(error, t)))}
                    >
                      {t('sidebar.addShort')}
                    </button>
                  )}
                </li>
              ))}
            </ul>
            {cursor ? (
              <button
                type="button"
                className="link"
                onClick={() =>
                  void parley()
                    .searchUsers(q, cursor)
                    .then((page) => {
                      setDirectory((d) => [...d, ...page.items]);
                      setCursor(page.nextCursor);
                    })
                }
              >
                {t('sidebar.more')}
              </button>
            ) : null}
          </section>
        ) : null}
      </div>
    </nav>
  );
}
