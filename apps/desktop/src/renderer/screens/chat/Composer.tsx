import { type ClipboardEvent, type KeyboardEvent, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { errorCode, errorMessage, parley, untrustedUserId } from '../../api.js';
import { Icon } from '../../components/Icon.js';
import { useContacts } from '../../stores/contacts.js';
import { usePeer } from '../../stores/conversations.js';
import { useMessages } from '../../stores/messages.js';
import { useTransfers } from '../../stores/transfers.js';
import { messagePreview } from './message-preview.js';
import { FileProblems, StagedFiles } from './StagedFiles.js';
import { VoiceRecorder } from './VoiceRecorder.js';

/** Longest message the core accepts. */
const MAX_LENGTH = 8_000;
/** Show how much is left once this close to the limit. */
const COUNTER_FROM = 500;
/** "Typing" is said again this often while typing goes on (the peer's core forgets it after 8 s)… */
const TYPING_RENEW_MS = 4_000;
/** …and taken back after this long without a keystroke. */
const TYPING_IDLE_MS = 3_000;

/** Tells the peer when I type: at most every few seconds, and "stopped" when idle, sent or gone. */
function useTypingSignal(peerUserId: string) {
  const state = useRef<{ saidAt: number; idle: ReturnType<typeof setTimeout> | undefined }>({
    saidAt: 0,
    idle: undefined,
  });

  const stop = () => {
    clearTimeout(state.current.idle);
    if (state.current.saidAt) void parley.setTyping(peerUserId, false).catch(() => {});
    state.current = { saidAt: 0, idle: undefined };
  };
  const typed = (text: string) => {
    if (!text) {
      stop();
      return;
    }
    const now = Date.now();
    if (now - state.current.saidAt > TYPING_RENEW_MS) {
      void parley.setTyping(peerUserId, true).catch(() => {});
      state.current.saidAt = now;
    }
    clearTimeout(state.current.idle);
    state.current.idle = setTimeout(stop, TYPING_IDLE_MS);
  };
  const stopRef = useRef(stop);
  stopRef.current = stop;
  // Leaving the chat (another one opened, signed out) ends the typing too.
  useEffect(() => () => stopRef.current(), []);
  return { typed, stop };
}

const NO_FILES: never[] = [];

/** Above the box while replying to or editing a message: which one, and a way to stop. */
function ComposeBanner({ peerUserId, onDone }: { peerUserId: string; onDone: () => void }) {
  const { t } = useTranslation();
  const compose = useMessages((s) => s.compose[peerUserId]);
  const author = usePeer(compose?.message.senderUserId ?? '');
  if (!compose) return null;
  const { message } = compose;
  const name = message.direction === 'out' ? t('conversation.you') : (author?.displayName ?? '…');
  const editing = compose.mode === 'edit';
  return (
    <div className="compose-banner">
      <Icon name={editing ? 'edit' : 'reply'} size={16} />
      <div className="compose-banner-text">
        <strong>{editing ? t('messageActions.editing') : t('messageActions.replyingTo', { name })}</strong>
        <span>{messagePreview(message, t)}</span>
      </div>
      <button
        type="button"
        className="icon-button"
        aria-label={editing ? t('messageActions.cancelEdit') : t('messageActions.cancelReply')}
        title={editing ? t('messageActions.cancelEdit') : t('messageActions.cancelReply')}
        onClick={() => {
          useMessages.getState().setCompose(peerUserId, null);
          onDone();
        }}
      >
        <Icon name="close" size={16} />
      </button>
    </div>
  );
}

/**
 * The message box: Enter sends, Shift+Enter starts a new line; the draft is kept per chat. Files
 * come by the paperclip, a drop on the conversation or a paste, wait above the box, and go with
 * Send (the text as the caption of the first). With nothing typed, the microphone records a
 * voice message instead.
 */
export function Composer({ peerUserId }: { peerUserId: string }) {
  const { t } = useTranslation();
  const draft = useMessages((s) => s.drafts[peerUserId] ?? '');
  const compose = useMessages((s) => s.compose[peerUserId]);
  const staged = useTransfers((s) => s.staged[peerUserId] ?? NO_FILES);
  const [problem, setProblem] = useState<string | null>(null);
  const [recording, setRecording] = useState(false);
  const box = useRef<HTMLTextAreaElement>(null);
  const typing = useTypingSignal(peerUserId);

  useEffect(() => {
    box.current?.focus();
  }, []);
  // Choosing Reply or Edit in a message's menu brings the typing here.
  useEffect(() => {
    if (compose) box.current?.focus();
  }, [compose]);

  const submit = async () => {
    const text = draft.trim();
    if (staged.length > 0 && compose?.mode !== 'edit') {
      typing.stop();
      setProblem(null);
      useMessages.getState().setDraft(peerUserId, '');
      const replyTo = compose?.mode === 'reply' ? compose.message.id : undefined;
      if (replyTo) useMessages.getState().setCompose(peerUserId, null);
      const captionSent = await useTransfers.getState().sendStaged(peerUserId, text, replyTo);
      // No file went: the text is given back, unless something new was typed meanwhile.
      if (!captionSent && text && !useMessages.getState().drafts[peerUserId])
        useMessages.getState().setDraft(peerUserId, text);
      return;
    }
    if (!text) return;
    typing.stop();
    setProblem(null);
    try {
      await useMessages.getState().send(peerUserId, text);
    } catch (error) {
      setProblem(errorMessage(error, t));
      // Refused for a key change we had not heard about: the peer's, or one of my own devices'.
      if (errorCode(error) === 'IDENTITY_UNTRUSTED')
        useContacts.getState().identityChanged({ userId: untrustedUserId(error) ?? peerUserId, kind: 'key_changed' });
    }
    box.current?.focus();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    // An input method composing a character owns Enter.
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void submit();
    } else if (event.key === 'Escape' && compose) {
      event.preventDefault();
      useMessages.getState().setCompose(peerUserId, null);
    }
  };

  const onPaste = (event: ClipboardEvent<HTMLTextAreaElement>) => {
    const files = [...(event.clipboardData?.files ?? [])];
    if (files.length === 0) return; // text pastes as text
    event.preventDefault();
    useTransfers.getState().stage(peerUserId, files);
  };

  const left = MAX_LENGTH - draft.length;
  const canSend = staged.length > 0 || draft.trim() !== '';
  // Like Telegram: the microphone while there is nothing to send (blank text is nothing), the arrow once there is.
  const showMicrophone = !canSend;
  return (
    <form
      className="composer"
      onSubmit={(event) => {
        event.preventDefault();
        void submit();
      }}
    >
      {problem ? (
        <p role="alert" className="form-error composer-problem">
          {problem}
        </p>
      ) : null}
      <ComposeBanner peerUserId={peerUserId} onDone={() => box.current?.focus()} />
      <FileProblems peerUserId={peerUserId} />
      <StagedFiles peerUserId={peerUserId} />
      {recording ? (
        <VoiceRecorder
          peerUserId={peerUserId}
          onDone={(failure) => {
            setRecording(false);
            if (failure) setProblem(failure);
            // Back to the box, after React has put it back.
            setTimeout(() => box.current?.focus());
          }}
        />
      ) : (
        <div className="composer-row">
          {/* The file input is the paperclip itself (transparent over the icon): one control, a real
              <input type=file>, so the system's file chooser and automation both reach it. */}
          <span className="attach-button" title={t('attachments.attach')}>
            <Icon name="paperclip" size={20} />
            <input
              type="file"
              multiple
              aria-label={t('attachments.attach')}
              onChange={(event) => {
                const files = [...(event.target.files ?? [])];
                event.target.value = ''; // the same file can be chosen again
                useTransfers.getState().stage(peerUserId, files);
                // Back to the text, for a caption and Enter (after the chooser has given the focus back).
                setTimeout(() => box.current?.focus());
              }}
            />
          </span>
          <textarea
            ref={box}
            aria-label={t('composer.label')}
            aria-describedby="composer-hint"
            placeholder={t('composer.label')}
            rows={1}
            maxLength={MAX_LENGTH}
            value={draft}
            onChange={(event) => {
              useMessages.getState().setDraft(peerUserId, event.target.value);
              typing.typed(event.target.value);
            }}
            onKeyDown={onKeyDown}
            onPaste={onPaste}
          />
          {showMicrophone ? (
            <button
              type="button"
              className="send-button microphone"
              aria-label={t('voice.record')}
              title={t('voice.record')}
              onClick={() => {
                setProblem(null);
                setRecording(true);
              }}
            >
              <Icon name="mic" size={20} />
            </button>
          ) : (
            <button
              type="submit"
              className="send-button"
              aria-label={compose?.mode === 'edit' ? t('messageActions.saveEdit') : t('composer.send')}
            >
              <Icon name="send" size={20} />
            </button>
          )}
        </div>
      )}
      {/* The keys are said to screen readers; the count shows to everyone near the limit. */}
      <p id="composer-hint" className={left <= COUNTER_FROM ? 'composer-hint' : 'visually-hidden'}>
        {left <= COUNTER_FROM ? t('composer.remaining', { count: left }) : t('composer.hint')}
      </p>
    </form>
  );
}
