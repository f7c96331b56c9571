import type { SearchHit } from '@parley/shared';
import { type JSX, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Dialog } from '../../components/Dialog.js';
import { useMessageSearch } from '../../hooks/useMessageSearch.js';
import { useNow } from '../../hooks/useNow.js';
import { formatListTime } from '../../i18n/format.js';
import { findPeer, useConversations } from '../../stores/conversations.js';
import { moveFocusInList } from '../chat/navigation.js';

const RESULTS = 50;

/** The snippet's `[match]` marks as <mark> elements; the rest stays plain text. */
export function highlightSnippet(snippet: string) {
  const parts: (string | JSX.Element)[] = [];
  let offset = 0;
  for (const part of snippet.split(/(\[[^\]]*\])/)) {
    if (part.length > 2 && part.startsWith('[') && part.endsWith(']'))
      parts.push(<mark key={offset}>{part.slice(1, -1)}</mark>);
    else if (part) parts.push(part);
    offset += part.length;
  }
  return parts;
}

/** Full-text search over every chat (the local index: works offline); a result opens its message. */
export function MessageSearchDialog({ onClose }: { onClose: () => void }) {
  const { t, i18n } = useTranslation();
  const now = useNow(60_000);
  const [query, setQuery] = useState('');
  const { hits, problem } = useMessageSearch(query, RESULTS);
  useConversations((s) => s.summaries); // names follow the chats

  const openHit = (hit: SearchHit) => {
    useConversations.getState().open(hit.message.peerUserId, hit.message.id);
    onClose();
  };

  return (
    <Dialog title={t('search.title')} onClose={onClose} className="search-dialog">
      <input
        type="search"
        className="search-field"
        aria-label={t('search.field')}
        placeholder={t('search.field')}
        data-autofocus
        value={query}
        onChange={(event) => setQuery(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === 'ArrowDown') {
            event.preventDefault();
            document.querySelector<HTMLElement>('.search-results button')?.focus();
          }
        }}
      />
      <p className="search-count" role="status">
        {problem ??
          (hits === null ? '' : hits.length === 0 ? t('search.none') : t('search.results', { count: hits.length }))}
      </p>
      {hits && hits.length > 0 ? (
        <ul
          className="search-results"
          aria-label={t('search.title')}
          onKeyDown={(event) => moveFocusInList(event, 'button')}
        >
          {hits.map((hit) => {
            const moment = hit.message.serverTimestamp ?? hit.message.sentAt;
            return (
              <li key={hit.message.id}>
                <button type="button" onClick={() => openHit(hit)}>
                  <span className="search-hit-line">
                    <span className="chat-name">{findPeer(hit.message.peerUserId)?.displayName ?? '…'}</span>
                    <time className="chat-time" dateTime={moment}>
                      {formatListTime(moment, i18n.language, now)}
                    </time>
                  </span>
                  <span className="snippet">
                    {hit.message.direction === 'out' ? `${t('conversation.you')}: ` : null}
                    {highlightSnippet(hit.snippet)}
                  </span>
                </button>
              </li>
            );
          })}
        </ul>
      ) : null}
      <div className="dialog-actions">
        <button type="button" onClick={onClose}>
          {t('search.close')}
        </button>
      </div>
    </Dialog>
  );
}
