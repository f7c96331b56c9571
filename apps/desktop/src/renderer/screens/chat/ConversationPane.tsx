import { type DragEvent, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { errorMessage, parley } from '../../api.js';
import { Avatar } from '../../components/Avatar.js';
import { ConfirmDialog } from '../../components/Dialog.js';
import { Icon } from '../../components/Icon.js';
import { useNow } from '../../hooks/useNow.js';
import { usePresence } from '../../hooks/usePresence.js';
import { useWindowActive } from '../../hooks/useWindowActive.js';
import { formatLastSeen } from '../../i18n/format.js';
import { callEngine, useCalls } from '../../stores/calls.js';
import { useContacts } from '../../stores/contacts.js';
import { useConversations, usePeer } from '../../stores/conversations.js';
import { useMessages } from '../../stores/messages.js';
import { useTransfers } from '../../stores/transfers.js';
import { Composer } from './Composer.js';
import { IdentityNotice } from './IdentityNotice.js';
import { MessageList } from './MessageList.js';
import { SafetyNumberDialog } from './SafetyNumberDialog.js';

/** "online", "typing…", "last seen …", or their username when they do not share presence. */
function PresenceLine({ peerUserId, username }: { peerUserId: string; username: string | undefined }) {
  const { t, i18n } = useTranslation();
  const now = useNow(30_000);
  const typing = useContacts((s) => Boolean(s.typing[peerUserId]));
  const presence = usePresence(peerUserId);
  const text = typing
    ? t('conversation.typing')
    : presence?.online
      ? t('conversation.online')
      : presence?.lastSeenAt
        ? formatLastSeen(presence.lastSeenAt, i18n.language, now, t)
        : username
          ? `@${username}`
          : '';
  return (
    <span className={`presence-line${typing || presence?.online ? ' active' : ''}`} aria-live="polite">
      {text}
    </span>
  );
}

/**
 * Whether I verified this contact's safety number, asked of the core when the chat opens and
 * again after any identity notice about them (a key change, a new device: either undoes it).
 */
function useVerified(peerUserId: string): boolean {
  const notice = useContacts((s) => s.identityNotices[peerUserId]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new `notice` is the reason to ask again
  useEffect(() => {
    let current = true;
    parley.safetyNumber(peerUserId).then(
      (number) => current && useContacts.getState().verifiedChanged(peerUserId, number.verified),
      () => {}, // offline before we ever met: nothing verified yet anyway
    );
    return () => {
      current = false;
    };
  }, [peerUserId, notice]);
  return useContacts((s) => Boolean(s.verified[peerUserId]));
}

/**
 * Marks the chat read while it is open and the window is in front of the person: when it opens,
 * when the window comes back, and when a message arrives meanwhile.
 */
function useMarkRead(peerUserId: string) {
  const active = useWindowActive();
  const unread = useConversations((s) => s.summaries.find((c) => c.peer.id === peerUserId)?.unreadCount ?? 0);
  const lastIncoming = useMessages((s) => s.threads[peerUserId]?.messages.findLast((m) => m.direction === 'in')?.id);
  useEffect(() => {
    if (!active || (unread === 0 && !lastIncoming)) return;
    parley.markRead(peerUserId).then(
      () => useConversations.getState().readChanged(peerUserId, 0),
      () => {}, // signed out meanwhile: nothing to mark
    );
  }, [active, unread, lastIncoming, peerUserId]);
}

const carriesFiles = (event: DragEvent) => [...(event.dataTransfer?.types ?? [])].includes('Files');

/**
 * Files dragged over the conversation: a drop zone shows while they are over it, and a drop
 * stages them above the composer. (Enter and leave fire for every child: they are counted.)
 */
function useFileDrop(peerUserId: string) {
  const [dragging, setDragging] = useState(false);
  const depth = useRef(0);
  return {
    dragging,
    handlers: {
      onDragEnter(event: DragEvent) {
        if (!carriesFiles(event)) return;
        event.preventDefault();
        depth.current++;
        setDragging(true);
      },
      onDragOver(event: DragEvent) {
        if (!carriesFiles(event)) return;
        event.preventDefault(); // allows the drop
        if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
      },
      onDragLeave(event: DragEvent) {
        if (!carriesFiles(event)) return;
        depth.current = Math.max(0, depth.current - 1);
        if (depth.current === 0) setDragging(false);
      },
      onDrop(event: DragEvent) {
        if (!carriesFiles(event)) return;
        event.preventDefault();
        depth.current = 0;
        setDragging(false);
        useTransfers.getState().stage(peerUserId, [...(event.dataTransfer?.files ?? [])]);
      },
    },
  };
}

/** One conversation: who, the history, and the composer. */
export function ConversationPane({ peerUserId }: { peerUserId: string }) {
  const { t } = useTranslation();
  const peer = usePeer(peerUserId);
  const isContact = useContacts((s) => s.contacts.some((c) => c.userId === peerUserId));
  const online = usePresence(peerUserId)?.online;
  const inCall = useCalls((s) => s.call !== null && s.call.phase !== 'ended');
  const [dialog, setDialog] = useState<'safety' | 'remove' | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const name = peer?.displayName ?? '…';
  const verified = useVerified(peerUserId);
  useMarkRead(peerUserId);
  const drop = useFileDrop(peerUserId);

  const addContact = async () => {
    setProblem(null);
    try {
      await useContacts.getState().add(peerUserId);
    } catch (error) {
      setProblem(errorMessage(error, t));
    }
  };
  const removeContact = async () => {
    try {
      await useContacts.getState().remove(peerUserId);
      setDialog(null);
    } catch (error) {
      setProblem(errorMessage(error, t));
    }
  };

  return (
    <section className="conversation" aria-labelledby="conversation-title" {...drop.handlers}>
      {drop.dragging ? (
        <div className="drop-zone" role="status">
          <p>{t('attachments.dropHere', { name })}</p>
        </div>
      ) : null}
      <header className="conversation-header">
        <Avatar id={peerUserId} name={name} online={online} />
        <div className="conversation-title">
          <div className="conversation-name">
            <h2 id="conversation-title">{name}</h2>
            {verified ? (
              <span className="verified-badge">
                <Icon name="shield" size={14} />
                {t('conversation.verified')}
              </span>
            ) : null}
          </div>
          <PresenceLine peerUserId={peerUserId} username={peer?.username} />
        </div>
        <div className="conversation-actions">
          {isContact ? (
            <>
              <button
                type="button"
                className="icon-button"
                aria-label={t('call.startAudio', { name })}
                title={t('call.audioCall')}
                disabled={inCall}
                onClick={() => void callEngine.start(peerUserId, 'audio')}
              >
                <Icon name="phone" />
              </button>
              <button
                type="button"
                className="icon-button"
                aria-label={t('call.startVideo', { name })}
                title={t('call.videoCall')}
                disabled={inCall}
                onClick={() => void callEngine.start(peerUserId, 'video')}
              >
                <Icon name="video" />
              </button>
            </>
          ) : null}
          <button type="button" className="icon-button labelled" onClick={() => setDialog('safety')}>
            <Icon name="shield" />
            <span>{t('conversation.safetyNumber')}</span>
          </button>
          {isContact ? (
            <button
              type="button"
              className="icon-button"
              aria-label={t('conversation.removeContact', { name })}
              title={t('conversation.removeContact', { name })}
              onClick={() => setDialog('remove')}
            >
              <Icon name="personRemove" />
            </button>
          ) : (
            <button type="button" className="icon-button labelled" onClick={() => void addContact()}>
              <Icon name="personAdd" />
              <span>{t('conversation.addContact')}</span>
            </button>
          )}
        </div>
      </header>
      {problem ? (
        <p role="alert" className="banner error">
          {problem}
        </p>
      ) : null}
      <IdentityNotice peerUserId={peerUserId} name={name} onReview={() => setDialog('safety')} />
      <MessageList peerUserId={peerUserId} peerName={name} />
      <Composer peerUserId={peerUserId} />
      {dialog === 'remove' ? (
        <ConfirmDialog
          title={t('confirm.removeTitle', { name })}
          body={t('confirm.removeBody')}
          confirm={t('confirm.remove')}
          cancel={t('confirm.cancel')}
          onConfirm={removeContact}
          onClose={() => setDialog(null)}
        />
      ) : null}
      {dialog === 'safety' ? (
        <SafetyNumberDialog peerUserId={peerUserId} name={name} onClose={() => setDialog(null)} />
      ) : null}
    </section>
  );
}
