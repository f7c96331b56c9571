import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Icon } from '../../components/Icon.js';
import { useMessageSearch } from '../../hooks/useMessageSearch.js';
import { useMessages } from '../../stores/messages.js';

const RESULTS = 200;

/**
 * Search inside the open chat (Ctrl+F): the matches newest first, one at a time brought into view
 * and highlighted in the history. Enter or ↓ goes to an older match, Shift+Enter or ↑ to a newer
 * one, Escape closes. The same local index as the search over all chats (works offline).
 */
export function ChatSearch({ peerUserId, onClose }: { peerUserId: string; onClose: () => void }) {
  const { t } = useTranslation();
  const [query, setQuery] = useState('');
  const { hits, problem } = useMessageSearch(query, RESULTS, peerUserId);
  const [at, setAt] = useState(0);
  const field = useRef<HTMLInputElement>(null);

  useEffect(() => {
    field.current?.focus();
  }, []);

  // New matches: the newest is shown first.
  useEffect(() => {
    setAt(0);
    const first = hits?.[0];
    if (first) useMessages.getState().setFocus({ peerUserId, messageId: first.message.id });
  }, [hits, peerUserId]);

  /** +1: an older match, -1: a newer one (the list is newest first). */
  const go = (step: 1 | -1) => {
    if (!hits?.length) return;
    const next = (at + step + hits.length) % hits.length;
    setAt(next);
    const hit = hits[next];
    if (hit) useMessages.getState().setFocus({ peerUserId, messageId: hit.message.id });
  };

  const status =
    problem ??
    (hits === null
      ? ''
      : hits.length === 0
        ? t('chatSearch.none')
        : t('chatSearch.position', { at: at + 1, count: hits.length }));
  return (
    <search
      className="chat-search"
      aria-label={t('chatSearch.open')}
      onKeyDown={(event) => {
        if (event.key !== 'Escape') return;
        event.preventDefault();
        onClose();
      }}
    >
      <input
        ref={field}
        type="search"
        className="search-field"
        aria-label={t('chatSearch.field')}
        placeholder={t('chatSearch.field')}
        value={query}
        onChange={(event) => setQuery(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === 'Enter' || event.key === 'ArrowDown' || event.key === 'ArrowUp') {
            event.preventDefault();
            go(event.key === 'ArrowUp' || (event.key === 'Enter' && event.shiftKey) ? -1 : 1);
          }
        }}
      />
      <span className="chat-search-status" role="status">
        {status}
      </span>
      <button
        type="button"
        className="icon-button"
        aria-label={t('chatSearch.newer')}
        title={t('chatSearch.newer')}
        disabled={!hits?.length}
        onClick={() => go(-1)}
      >
        <Icon name="chevronUp" />
      </button>
      <button
        type="button"
        className="icon-button"
        aria-label={t('chatSearch.older')}
        title={t('chatSearch.older')}
        disabled={!hits?.length}
        onClick={() => go(1)}
      >
        <Icon name="chevronDown" />
      </button>
      <button
        type="button"
        className="icon-button"
        aria-label={t('chatSearch.close')}
        title={t('chatSearch.close')}
        onClick={onClose}
      >
        <Icon name="close" />
      </button>
    </search>
  );
}
