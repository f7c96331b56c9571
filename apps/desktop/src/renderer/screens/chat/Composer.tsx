import { type KeyboardEvent, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { errorCode, errorMessage, parley } from '../../api.js';
import { Icon } from '../../components/Icon.js';
import { useContacts } from '../../stores/contacts.js';
import { useMessages } from '../../stores/messages.js';

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

/** The message box: Enter sends, Shift+Enter starts a new line; the draft is kept per chat. */
export function Composer({ peerUserId }: { peerUserId: string }) {
  const { t } = useTranslation();
  const draft = useMessages((s) => s.drafts[peerUserId] ?? '');
  const [problem, setProblem] = useState<string | null>(null);
  const box = useRef<HTMLTextAreaElement>(null);
  const typing = useTypingSignal(peerUserId);

  useEffect(() => {
    box.current?.focus();
  }, []);

  const submit = async () => {
    const text = draft.trim();
    if (!text) return;
    typing.stop();
    setProblem(null);
    try {
      await useMessages.getState().send(peerUserId, text);
    } catch (error) {
      setProblem(errorMessage(error, t));
      // Refused for a safety-number change we had not heard about (it happened before this start).
      if (errorCode(error) === 'IDENTITY_UNTRUSTED')
        useContacts.getState().identityChanged({ userId: peerUserId, kind: 'key_changed' });
    }
    box.current?.focus();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    // An input method composing a character owns Enter.
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void submit();
    }
  };

  const left = MAX_LENGTH - draft.length;
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
      <div className="composer-row">
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
        />
        <button type="submit" className="send-button" aria-label={t('composer.send')} disabled={!draft.trim()}>
          <Icon name="send" size={20} />
        </button>
      </div>
      {/* The keys are said to screen readers; the count shows to everyone near the limit. */}
      <p id="composer-hint" className={left <= COUNTER_FROM ? 'composer-hint' : 'visually-hidden'}>
        {left <= COUNTER_FROM ? t('composer.remaining', { count: left }) : t('composer.hint')}
      </p>
    </form>
  );
}
