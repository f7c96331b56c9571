import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useChats } from '../stores/chats.js';
import { usePeople } from '../stores/people.js';
import { useSession } from '../stores/session.js';
import { ConversationPane } from './ConversationPane.js';
import { SearchPanel } from './SearchPanel.js';
import { SettingsDialog } from './SettingsDialog.js';
import { Sidebar } from './Sidebar.js';

export function ChatScreen() {
  const { t } = useTranslation();
  const selected = useChats((s) => s.selected);
  const connection = useSession((s) => s.connection);
  const [panel, setPanel] = useState<'settings' | 'search' | null>(null);

  useEffect(() => {
    void useChats.getState().loadConversations();
    void usePeople
      .getState()
      .load()
      .catch(() => {});
  }, []);

  // Alt+Up / Alt+Down: previous / next conversation.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!e.altKey || (e.key !== 'ArrowUp' && e.key !== 'ArrowDown')) return;
      const { conversations, selected: current, select } = useChats.getState();
      const at = conversations.findIndex((c) => c.peer.id === current);
      const next =
        conversations[Math.max(0, Math.min(conversations.length - 1, at + (e.key === 'ArrowDown' ? 1 : -1)))];
      if (next) {
        e.preventDefault();
        select(next.peer.id);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  return (
    <div className="layout">
      <Sidebar onOpenSettings={() => setPanel('settings')} onOpenSearch={() => setPanel('search')} />
      <main className="pane">
        {connection !== 'online' ? (
          <p className={`connection ${connection}`} role="status">
            {connection === 'offline' ? t('connection.offline') : t('connection.connecting')}
          </p>
        ) : null}
        {selected ? (
          <ConversationPane key={selected} peerUserId={selected} />
        ) : (
          <p className="placeholder">{t('conversation.placeholder')}</p>
        )}
      </main>
      {panel === 'settings' ? <SettingsDialog onClose={() => setPanel(null)} /> : null}
      {panel === 'search' ? <SearchPanel onClose={() => setPanel(null)} /> : null}
    </div>
  );
}
