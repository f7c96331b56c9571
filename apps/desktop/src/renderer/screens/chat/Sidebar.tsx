import { type RefObject, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Icon } from '../../components/Icon.js';
import { useSession } from '../../stores/session.js';
import { ChatList } from './ChatList.js';
import { Directory } from './Directory.js';

/** The host gone, offline, connecting: said once and quietly; nothing at all while online. */
function ConnectionIndicator() {
  const { t } = useTranslation();
  const connection = useSession((s) => s.connection);
  const hostReachable = useSession((s) => s.hostReachable);
  return (
    <p className={`connection connection-${hostReachable ? connection : 'offline'}`} role="status">
      {!hostReachable
        ? t('connection.hostGone')
        : connection === 'offline'
          ? t('connection.offline')
          : connection === 'connecting'
            ? t('connection.connecting')
            : ''}
    </p>
  );
}

/** Chats, contacts and the user directory, under one search field. */
export function Sidebar({
  searchRef,
  onOpenSettings,
  onOpenSearch,
}: {
  searchRef: RefObject<HTMLInputElement | null>;
  onOpenSettings: () => void;
  onOpenSearch: () => void;
}) {
  const { t } = useTranslation();
  const [query, setQuery] = useState('');
  const list = 'sidebar-list';

  return (
    <nav className="sidebar" aria-label={t('sidebar.label')}>
      <header className="sidebar-header">
        <span className="brand">{t('appName')}</span>
        <button
          type="button"
          className="icon-button"
          aria-label={t('sidebar.searchMessages')}
          title={t('sidebar.searchMessages')}
          onClick={onOpenSearch}
        >
          <Icon name="search" />
        </button>
        <button
          type="button"
          className="icon-button"
          aria-label={t('sidebar.settings')}
          title={t('sidebar.settings')}
          onClick={onOpenSettings}
        >
          <Icon name="settings" />
        </button>
      </header>
      <div className="sidebar-search">
        <input
          ref={searchRef}
          type="search"
          aria-label={t('sidebar.search')}
          aria-controls={list}
          placeholder={t('sidebar.search')}
          value={query}
          onChange={(event) => setQuery(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === 'Escape' && query) {
              event.preventDefault();
              setQuery('');
            } else if (event.key === 'ArrowDown') {
              // Down from the field goes into the list below it.
              event.preventDefault();
              document.getElementById(list)?.querySelector<HTMLElement>('[data-nav-item], button')?.focus();
            }
          }}
        />
      </div>
      <ConnectionIndicator />
      <div className="sidebar-lists" id={list}>
        <ChatList query={query.trim()} />
        {query.trim() ? <Directory query={query.trim()} /> : null}
      </div>
    </nav>
  );
}
