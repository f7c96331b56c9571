import { type KeyboardEvent, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { errorText, parley } from '../api.js';
import { Avatar } from '../components/Avatar.js';
import { ConfirmDialog, Dialog } from '../components/Dialog.js';
import { Icon } from '../components/Icon.js';
import { formatRelative } from '../i18n/i18n.js';
import { useChats } from '../stores/chats.js';
import { usePeople } from '../stores/people.js';
import { MessageList } from './MessageList.js';

const TYPING_IDLE_MS = 3_000;
const TYPING_REPEAT_MS = 4_000;

/** Marks the open conversation read while the window is visible and focused. */
function useMarkRead(peerUserId: string, count: number) {
  // biome-ignore lint/correctness/useExhaustiveDependencies: `count` re-marks when a message arrives
  useEffect(() => {
    const mark = () => {
      if (document.visibilityState === 'visible' && document.hasFocus())
        void parley()
          .markRead(peerUserId)
          .catch(() => {});
    };
    mark();
    window.addEventListener('focus', mark);
    document.addEventListener('visibilitychange', mark);
    return () => {
      window.removeEventListener('focus', mark);
      document.removeEventListener('visibilitychange', mark);
    };
  }, [peerUserId, count]);
}

export function ConversationPane({ peerUserId }: { peerUserId: string }) {
  const { t, i18n } = useTranslation();
  const { threads, conversations, drafts, setDraft, send } = useChats();
  const { contacts, typing, identity, remove, clearIdentity } = usePeople();
  const thread = threads[peerUserId];
  const conversation = conversations.find((c) => c.peer.id === peerUserId);
  const contact = contacts.find((c) => c.userId === peerUserId);
  const remembered = useChats((state) => state.known[peerUserId]);
  const name = conversation?.peer.displayName ?? contact?.displayName ?? remembered?.displayName ?? '…';
  const [confirmRemove, setConfirmRemove] = useState(false);
  const [safety, setSafety] = useState<{ digits: string; changed: boolean } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const draft = drafts[peerUserId] ?? '';
  const composer = useRef<HTMLTextAreaElement>(null);
  const typingState = useRef<{ sentAt: number; idle?: ReturnType<typeof setTimeout> }>({ sentAt: 0 });
  useMarkRead(peerUserId, thread?.messages.length ?? 0);

  useEffect(() => {
    setProblem(null);
    composer.current?.focus();
  }, []);

  const stopTyping = () => {
    clearTimeout(typingState.current.idle);
    if (typingState.current.sentAt)
      void parley()
        .setTyping(peerUserId, false)
        .catch(() => {});
    typingState.current = { sentAt: 0 };
  };

  const onDraftChange = (text: string) => {
    setDraft(peerUserId, text);
    const now = Date.now();
    if (text && now - typingState.current.sentAt > TYPING_REPEAT_MS) {
      void parley()
        .setTyping(peerUserId, true)
        .catch(() => {});
      typingState.current.sentAt = now;
    }
    clearTimeout(typingState.current.idle);
    typingState.current.idle = setTimeout(stopTyping, TYPING_IDLE_MS);
  };

  const submit = async () => {
    const text = draft.trim();
    if (!text) return;
    stopTyping();
    setProblem(null);
    try {
      await send(peerUserId, text);
    } catch (error) {
      setProblem(errorText(error, t));
      // A key change from before this start (no event this time): show the banner to resolve it.
      if ((error as { code?: string }).code === 'IDENTITY_UNTRUSTED') {
        usePeople
          .getState()
          .noteIdentity({ userId: peerUserId, deviceId: '', kind: 'key_changed', at: new Date().toISOString() });
      }
    }
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void submit();
    }
  };

  const presence = contact?.presence;
  const status = typing[peerUserId]
    ? t('conversation.typing')
    : presence?.online
      ? t('conversation.online')
      : presence?.lastSeenAt
        ? t('conversation.lastSeen', { when: formatRelative(presence.lastSeenAt, i18n.language) })
        : '';

  const openSafety = async () => {
    const number = await parley().safetyNumber(peerUserId);
    setSafety({ digits: number.digits, changed: number.changed });
  };

  return (
    <section className="conversation" aria-label={name}>
      <header className="conversation-header">
        <Avatar id={peerUserId} name={name} online={presence?.online} />
        <div className="conversation-title">
          <h2>{name}</h2>
          <span className="conversation-status" aria-live="polite">
            {status}
          </span>
        </div>
        <button type="button" className="small" onClick={() => void openSafety()}>
          {t('conversation.safetyNumber')}
        </button>
        {contact ? (
          <button
            type="button"
            className="small"
            aria-label={t('conversation.removeContact', { name })}
            onClick={() => setConfirmRemove(true)}
          >
            <Icon name="close" />
          </button>
        ) : null}
      </header>
      {identity[peerUserId] === 'key_changed' ? (
        <div className="banner warning" role="alert">
          <p>{t('conversation.keyChanged', { name })}</p>
          <button type="button" onClick={() => void openSafety()}>
            {t('conversation.reviewSafety')}
          </button>
          <button
            type="button"
            onClick={() => {
              void parley()
                .acceptIdentity(peerUserId)
                .then(() => clearIdentity(peerUserId));
            }}
          >
            {t('conversation.accept')}
          </button>
        </div>
      ) : identity[peerUserId] === 'device_added' ? (
        <div className="banner" role="status">
          <p>{t('conversation.deviceAdded', { name })}</p>
          <button type="button" onClick={() => clearIdentity(peerUserId)}>
            {t('conversation.dismiss')}
          </button>
        </div>
      ) : null}
      <MessageList peerUserId={peerUserId} messages={thread?.messages ?? []} />
      <form
        className="composer"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        {problem ? (
          <p role="alert" className="form-error">
            {problem}
          </p>
        ) : null}
        <textarea
          ref={composer}
          aria-label={t('conversation.composer')}
          placeholder={t('conversation.composer')}
          title={t('conversation.composerHint')}
          rows={Math.min(8, Math.max(1, draft.split('\n').length))}
          value={draft}
          onChange={(e) => onDraftChange(e.target.value)}
          onKeyDown={onKeyDown}
          maxLength={8000}
        />
        <button type="submit" className="primary" disabled={!draft.trim()}>
          {t('conversation.send')}
        </button>
      </form>
      {confirmRemove ? (
        <ConfirmDialog
          title={t('confirm.removeTitle', { name })}
          body={t('confirm.removeBody')}
          confirm={t('confirm.remove')}
          cancel={t('confirm.cancel')}
          onConfirm={() => void remove(peerUserId)}
          onClose={() => setConfirmRemove(false)}
        />
      ) : null}
      {safety ? (
        <Dialog title={t('safety.title', { name })} onClose={() => setSafety(null)}>
          <p>{t('safety.body', { name })}</p>
          {safety.changed ? <p className="warning-text">{t('safety.changed')}</p> : null}
          <p className="safety-digits">{safety.digits}</p>
          <div className="dialog-actions">
            <button type="button" onClick={() => setSafety(null)}>
              {t('safety.close')}
            </button>
          </div>
        </Dialog>
      ) : null}
    </section>
  );
}
