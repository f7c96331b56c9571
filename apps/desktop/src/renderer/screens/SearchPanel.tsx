import type { SearchHit } from '@parley/shared';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { parley } from '../api.js';
import { Dialog } from '../components/Dialog.js';
import { formatDay } from '../i18n/i18n.js';
import { useChats } from '../stores/chats.js';

/** The snippet's `[match]` marks as <mark>, keyed by their offset in the snippet. */
function highlight(snippet: string) {
  let offset = 0;
  return snippet.split(/(\[[^\]]*\])/).map((part) => {
    const at = offset;
    offset += part.length;
    return part.startsWith('[') && part.endsWith(']') ? <mark key={at}>{part.slice(1, -1)}</mark> : part;
  });
}

/** Full-text search over every conversation (offline: the local index); a result opens its message. */
export function SearchPanel({ onClose }: { onClose: () => void }) {
  const { t, i18n } = useTranslation();
  const [query, setQuery] = useState('');
  const [hits, setHits] = useState<SearchHit[] | null>(null);
  const names = Object.fromEntries(useChats((s) => s.conversations).map((c) => [c.peer.id, c.peer.displayName]));

  useEffect(() => {
    if (!query.trim()) {
      setHits(null);
      return;
    }
    const timer = setTimeout(() => {
      void parley()
        .searchMessages(query)
        .then(setHits)
        .catch(() => setHits([]));
    }, 150);
    return () => clearTimeout(timer);
  }, [query]);

  return (
    <Dialog title={t('search.title')} onClose={onClose}>
      <input
        type="search"
        aria-label={t('search.field')}
        placeholder={t('search.field')}
        value={query}
        onChange={(e) => setQuery(e.target.value)}
      />
      {hits && hits.length === 0 ? <p>{t('search.none')}</p> : null}
      <ul className="search-results" aria-label={t('search.title')}>
        {hits?.map((hit) => (
          <li key={hit.message.id}>
            <button
              type="button"
              onClick={() => {
                useChats.getState().select(hit.message.peerUserId, hit.message.id);
                onClose();
              }}
            >
              <span className="chat-name">{names[hit.message.peerUserId] ?? ''}</span>
              <span className="snippet">{highlight(hit.snippet)}</span>
              <time dateTime={hit.message.sentAt}>
                {formatDay(
                  hit.message.serverTimestamp ?? hit.message.sentAt,
                  i18n.language,
                  t('conversation.today'),
                  t('conversation.yesterday'),
                )}
              </time>
            </button>
          </li>
        ))}
      </ul>
      <div className="dialog-actions">
        <button type="button" onClick={onClose}>
          {t('search.close')}
        </button>
      </div>
    </Dialog>
  );
}
