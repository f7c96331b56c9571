import type { LocalMessage } from '@parley/shared';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useLayoutEffect, useMemo, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { StatusTicks } from '../components/StatusTicks.js';
import { formatDay, formatTime } from '../i18n/i18n.js';
import { useChats } from '../stores/chats.js';

type Row = { kind: 'day'; key: string; label: string } | { kind: 'message'; key: string; message: LocalMessage };

const dayOf = (m: LocalMessage) => new Date(m.serverTimestamp ?? m.sentAt).toDateString();

/**
 * The history, virtualized: only the rows in view (plus a few) are in the DOM, however long the
 * conversation. Scrolling to the top loads the previous page and keeps the view where it was.
 */
export function MessageList({ peerUserId, messages }: { peerUserId: string; messages: LocalMessage[] }) {
  const { t, i18n } = useTranslation();
  const parent = useRef<HTMLDivElement>(null);
  const { loadOlder, focusMessage } = useChats();
  const loadingOlder = useRef(false);
  const stickToBottom = useRef(true);
  /** The row the reader was looking at when older messages were asked for. */
  const anchor = useRef<string | null>(null);

  const rows = useMemo<Row[]>(() => {
    const out: Row[] = [];
    let day = '';
    for (const m of messages) {
      if (dayOf(m) !== day) {
        day = dayOf(m);
        out.push({
          kind: 'day',
          key: `day-${day}`,
          label: formatDay(
            m.serverTimestamp ?? m.sentAt,
            i18n.language,
            t('conversation.today'),
            t('conversation.yesterday'),
          ),
        });
      }
      out.push({ kind: 'message', key: m.id, message: m });
    }
    return out;
  }, [messages, i18n.language, t]);

  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => parent.current,
    estimateSize: (i) => (rows[i]?.kind === 'day' ? 36 : 56),
    getItemKey: (i) => rows[i]?.key ?? i,
    overscan: 8,
  });

  // Keep the newest message in view while the reader is at the bottom; after an older page
  // lands above, keep the row they were reading where it was.
  const lastKey = rows.at(-1)?.key;
  // biome-ignore lint/correctness/useExhaustiveDependencies: `lastKey` is the trigger (a new last message)
  useLayoutEffect(() => {
    if (anchor.current) {
      const index = rows.findIndex((r) => r.key === anchor.current);
      anchor.current = null;
      if (index >= 0) virtualizer.scrollToIndex(index, { align: 'start' });
      return;
    }
    if (stickToBottom.current && rows.length > 0 && !focusMessage)
      virtualizer.scrollToIndex(rows.length - 1, { align: 'end' });
  }, [lastKey, rows, virtualizer, focusMessage]);

  // Jump to a message from search: load older pages until it is here, then scroll to it.
  useEffect(() => {
    if (!focusMessage) return;
    const index = rows.findIndex((r) => r.key === focusMessage);
    if (index >= 0) {
      stickToBottom.current = false;
      virtualizer.scrollToIndex(index, { align: 'center' });
    } else if (!loadingOlder.current) {
      loadingOlder.current = true;
      void loadOlder(peerUserId).finally(() => {
        loadingOlder.current = false;
      });
    }
  }, [focusMessage, rows, peerUserId, loadOlder, virtualizer]);

  const onScroll = () => {
    const el = parent.current;
    if (!el) return;
    stickToBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
    if (el.scrollTop < 200 && !loadingOlder.current) {
      loadingOlder.current = true;
      anchor.current = rows[virtualizer.getVirtualItems()[0]?.index ?? 0]?.key ?? null;
      void loadOlder(peerUserId).finally(() => {
        loadingOlder.current = false;
      });
    }
  };

  return (
    <div
      ref={parent}
      className="history"
      role="log"
      aria-label={t('conversation.history')}
      // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard to scroll it
      tabIndex={0}
      onScroll={onScroll}
    >
      <ol className="history-inner" style={{ height: virtualizer.getTotalSize() }}>
        {virtualizer.getVirtualItems().map((item) => {
          const row = rows[item.index] as Row;
          return (
            <li
              key={row.key}
              data-index={item.index}
              ref={virtualizer.measureElement}
              className={row.kind === 'day' ? 'day-separator' : 'message-row'}
              style={{ transform: `translateY(${item.start}px)` }}
            >
              {row.kind === 'day' ? (
                <span>{row.label}</span>
              ) : (
                <article
                  className={`bubble ${row.message.direction}${focusMessage === row.message.id ? ' focused' : ''}`}
                  aria-label={row.message.direction === 'out' ? t('conversation.you') : undefined}
                >
                  <p className="bubble-text">{row.message.text}</p>
                  <span className="bubble-meta">
                    <time dateTime={row.message.serverTimestamp ?? row.message.sentAt}>
                      {formatTime(row.message.serverTimestamp ?? row.message.sentAt, i18n.language)}
                    </time>
                    {row.message.direction === 'out' ? <StatusTicks status={row.message.status} /> : null}
                  </span>
                </article>
              )}
            </li>
          );
        })}
      </ol>
    </div>
  );
}
