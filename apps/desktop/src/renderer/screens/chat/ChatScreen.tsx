import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useContacts } from '../../stores/contacts.js';
import { useConversations } from '../../stores/conversations.js';
import { useSession } from '../../stores/session.js';
import { CallScreen } from '../call/CallScreen.js';
import { MessageSearchDialog } from '../search/MessageSearchDialog.js';
import { SettingsDialog } from '../settings/SettingsDialog.js';
import { ConversationPane } from './ConversationPane.js';
import { lastOpenChat, rememberOpenChat, stepConversation } from './navigation.js';
import { Sidebar } from './Sidebar.js';

const isMac = () => /Mac/.test(navigator.platform);

/** The signed-in app: chats and people on the left, the open conversation on the right. */
export function ChatScreen() {
  const { t } = useTranslation();
  const selected = useConversations((s) => s.selected);
  const unread = useConversations((s) => s.summaries.reduce((sum, c) => sum + c.unreadCount, 0));
  const [panel, setPanel] = useState<'settings' | 'search' | null>(null);
  const search = useRef<HTMLInputElement>(null);
  const me = useSession((s) => s.session?.user.id);

  useEffect(() => {
    // A reload comes back to the chat that was open.
    const reopen = me ? lastOpenChat(me) : null;
    if (reopen && !useConversations.getState().selected) useConversations.getState().open(reopen);
    void useConversations.getState().refresh();
    useContacts
      .getState()
      .load()
      .catch(() => {}); // offline at first start: the list fills in on the next refresh
  }, [me]);

  useEffect(() => {
    if (me) rememberOpenChat(me, selected);
  }, [me, selected]);

  // The window title carries the unread count (the shells put it on the dock / taskbar too).
  useEffect(() => {
    document.title = unread > 0 ? `(${unread}) ${t('appName')}` : t('appName');
  }, [unread, t]);

  // App-wide keys; none of them act while a dialog is open (it has its own).
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (document.querySelector('dialog[open]')) return;
      const mod = isMac() ? event.metaKey : event.ctrlKey;
      const key = event.key.toLowerCase();
      if (mod && !event.shiftKey && key === 'k') {
        event.preventDefault();
        search.current?.focus();
        search.current?.select();
      } else if (mod && event.shiftKey && key === 'f') {
        event.preventDefault();
        setPanel('search');
      } else if (event.altKey && (event.key === 'ArrowUp' || event.key === 'ArrowDown')) {
        event.preventDefault();
        stepConversation(event.key === 'ArrowDown' ? 1 : -1);
      } else if (event.ctrlKey && event.key === 'Tab') {
        event.preventDefault();
        stepConversation(event.shiftKey ? -1 : 1);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  return (
    <div className="layout">
      <Sidebar searchRef={search} onOpenSettings={() => setPanel('settings')} onOpenSearch={() => setPanel('search')} />
      <main className="pane">
        {selected ? (
          <ConversationPane key={selected} peerUserId={selected} />
        ) : (
          <div className="pane-empty">
            <p>{t('conversation.placeholder')}</p>
          </div>
        )}
      </main>
      {panel === 'settings' ? <SettingsDialog onClose={() => setPanel(null)} /> : null}
      {panel === 'search' ? <MessageSearchDialog onClose={() => setPanel(null)} /> : null}
      <CallScreen />
    </div>
  );
}
