import type { LocalMessage } from '@parley/shared';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { TFunction } from 'i18next';
import {
  type KeyboardEvent,
  type MouseEvent,
  memo,
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import { useTranslation } from 'react-i18next';
import { errorMessage } from '../../api.js';
import { Icon } from '../../components/Icon.js';
import { Menu } from '../../components/Menu.js';
import { StatusTicks } from '../../components/StatusTicks.js';
import { useNow } from '../../hooks/useNow.js';
import { formatDay, formatTime } from '../../i18n/format.js';
import { useMessages } from '../../stores/messages.js';
import { useSession } from '../../stores/session.js';
import { callSummary } from '../call/call-summary.js';
import { AttachmentView, imageBox } from './AttachmentView.js';
import {
  DeleteDialog,
  EditHistoryDialog,
  ForwardDialog,
  menuGroups,
  QuoteView,
  ReactionsBar,
  SelectionBar,
} from './MessageActions.js';
import { attachmentKind, messagePreview } from './message-preview.js';

/**
 * One row per message, keyed by its id. A day's first message carries the day separator above
 * it (rather than the separator being a row of its own), so when an older page of the same day
 * arrives, the row the reader is looking at keeps its key and the view can stay on it.
 */
interface Row {
  key: string;
  message: LocalMessage;
  /** The day separator shown above this message, if it is the first of its day. */
  day: string | null;
  continued: boolean;
}

/** Older pages are asked for when the reader is this close to the top. */
const LOAD_OLDER_WITHIN_PX = 400;
/** Counts as "at the newest message" within this distance of the bottom. */
const AT_END_PX = 48;
/** Consecutive messages of one side within this gap sit closer together. */
const GROUP_GAP_MS = 3 * 60_000;
const HIGHLIGHT_MS = 2_500;
const NO_MESSAGES: LocalMessage[] = [];

const momentOf = (m: LocalMessage) => m.serverTimestamp ?? m.sentAt;
const dayOf = (m: LocalMessage) => new Date(momentOf(m)).toDateString();

function buildRows(messages: LocalMessage[], language: string, now: number, t: TFunction): Row[] {
  const rows: Row[] = [];
  let previous: LocalMessage | undefined;
  for (const message of messages) {
    const newDay = previous === undefined || dayOf(previous) !== dayOf(message);
    const continued =
      !newDay &&
      previous !== undefined &&
      previous.direction === message.direction &&
      Date.parse(momentOf(message)) - Date.parse(momentOf(previous)) < GROUP_GAP_MS;
    rows.push({
      key: message.id,
      message,
      day: newDay ? formatDay(momentOf(message), language, now, t) : null,
      continued,
    });
    previous = message;
  }
  return rows;
}

/** A first guess at a row's height before it is measured (a picture's box is known from its pointer). */
function estimateRow(row: Row | undefined): number {
  let height = 48;
  const attachment = row?.message.attachment;
  if (attachment) {
    const kind = attachmentKind(attachment);
    height = kind === 'image' && attachment.image ? imageBox(attachment.image).height + 24 : 76;
    if (row?.message.text) height += 22;
  }
  return height + (row?.day ? 40 : 0);
}

/** Opens a message's menu: at the pointer, or (keyboard, the hover button) under the element. */
type OpenMenu = (message: LocalMessage, at: { x: number; y: number }) => void;

const below = (element: Element) => {
  const box = element.getBoundingClientRect();
  return { x: box.left, y: box.bottom };
};

/** Arrow keys move between the messages of the history; the menu key or Shift+F10 opens a message's menu. */
function onMessageKey(event: KeyboardEvent<HTMLDivElement>, message: LocalMessage, openMenu: OpenMenu) {
  if (event.target !== event.currentTarget) return;
  if (event.key === 'ContextMenu' || (event.key === 'F10' && event.shiftKey)) {
    event.preventDefault();
    openMenu(message, below(event.currentTarget));
  } else if (event.key === 'ArrowUp' || event.key === 'ArrowDown') {
    const all = [...(event.currentTarget.closest('[role="log"]')?.querySelectorAll<HTMLElement>('.message') ?? [])];
    const next = all[all.indexOf(event.currentTarget) + (event.key === 'ArrowUp' ? -1 : 1)];
    if (next) {
      event.preventDefault();
      next.focus();
    }
  }
}

/** One message: its attachment, and its text (rendered as text by React, never as HTML). */
const MessageRow = memo(function MessageRow({
  message,
  continued,
  highlighted,
  peerName,
  openMenu,
  selected,
}: {
  message: LocalMessage;
  continued: boolean;
  highlighted: boolean;
  peerName: string;
  openMenu: OpenMenu;
  /** Whether it is picked, while messages are being selected (undefined otherwise). */
  selected: boolean | undefined;
}) {
  const { t, i18n } = useTranslation();
  const [problem, setProblem] = useState<string | null>(null);
  const out = message.direction === 'out';
  const resend = () => {
    setProblem(null);
    useMessages
      .getState()
      .resend(message)
      .catch((error: unknown) => setProblem(errorMessage(error, t)));
  };
  if (message.call) {
    return (
      <p className={`call-entry${message.call.outcome === 'missed' && !out ? ' missed' : ''}`}>
        <Icon name={message.call.media === 'video' ? 'video' : 'phone'} size={16} />
        <span className="call-entry-text">{callSummary(message, t)}</span>
        <time dateTime={momentOf(message)}>{formatTime(momentOf(message), i18n.language)}</time>
      </p>
    );
  }
  const attachment = message.attachment;
  const author = out ? t('conversation.you') : peerName;
  const onContextMenu = (event: MouseEvent) => {
    event.preventDefault();
    openMenu(message, { x: event.clientX, y: event.clientY });
  };
  return (
    <>
      {/* biome-ignore lint/a11y/useSemanticElements: a message of the log, focusable for its menu and the arrow keys */}
      <div
        className={`message${selected ? ' selected' : ''}`}
        role="article"
        aria-label={t('messageActions.message', {
          name: author,
          text: message.deleted ? t('messageActions.deleted') : messagePreview(message, t),
        })}
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a message is reached by keyboard to act on it
        tabIndex={0}
        onContextMenu={onContextMenu}
        onKeyDown={(event) => onMessageKey(event, message, openMenu)}
      >
        {selected === undefined ? null : (
          <input
            type="checkbox"
            className="select-message"
            aria-label={t('messageActions.selectMessage')}
            checked={selected}
            onChange={() => useMessages.getState().toggleSelected(message.peerUserId, message.id)}
          />
        )}
        <div
          className={`bubble ${message.direction}${continued ? ' continued' : ''}${highlighted ? ' highlighted' : ''}${attachment ? ` with-attachment ${attachmentKind(attachment)}` : ''}${message.deleted ? ' deleted' : ''}`}
        >
          {message.forwarded ? <p className="forwarded">{t('messageActions.forwarded')}</p> : null}
          {message.quote ? <QuoteView quote={message.quote} peerUserId={message.peerUserId} /> : null}
          {attachment ? <AttachmentView message={message} /> : null}
          <p className="bubble-body">
            <span className="visually-hidden">{author}: </span>
            {message.deleted ? <span className="bubble-tombstone">{t('messageActions.deleted')}</span> : null}
            {message.text ? <span className="bubble-text">{message.text}</span> : null}
            <span className="bubble-meta">
              {message.editCount > 0 ? <span className="edited">{t('messageActions.edited')}</span> : null}
              <time dateTime={momentOf(message)}>{formatTime(momentOf(message), i18n.language)}</time>
              {out ? <StatusTicks status={message.status} /> : null}
            </span>
          </p>
          <button
            type="button"
            className="message-more"
            aria-label={t('messageActions.more')}
            title={t('messageActions.more')}
            tabIndex={-1}
            onClick={(event) => openMenu(message, below(event.currentTarget))}
          >
            <Icon name="more" size={16} />
          </button>
        </div>
        <ReactionsBar message={message} />
      </div>
      {/* A file's failure and its Retry show on the attachment. */}
      {out && message.status === 'failed' && !attachment ? (
        <p className="failed-hint">
          {problem ?? t('conversation.failedHint')}{' '}
          <button type="button" className="link" onClick={resend}>
            {t('conversation.sendAgain')}
          </button>
        </p>
      ) : null}
    </>
  );
});

/**
 * The history, virtualized: only the rows in view (and a few around them) are in the DOM, however
 * long the conversation. It opens at the newest message and follows new ones while the reader is
 * there; scrolling up loads older pages, and the row being read stays where it was.
 */
export function MessageList({ peerUserId, peerName }: { peerUserId: string; peerName: string }) {
  const { t, i18n } = useTranslation();
  const thread = useMessages((s) => s.threads[peerUserId]);
  const focus = useMessages((s) => (s.focus?.peerUserId === peerUserId ? s.focus.messageId : null));
  const today = new Date(useNow(60_000)).toDateString(); // "Today" becomes "Yesterday" at midnight
  const scroller = useRef<HTMLDivElement>(null);
  const [highlighted, setHighlighted] = useState<string | null>(null);
  const [atEnd, setAtEnd] = useState(true);
  /** The same, as of the last scroll, for the resize observer (a shrinking view fires no scroll). */
  const wasAtEnd = useRef(true);
  const opened = useRef(false);
  const lastKey = useRef<string | undefined>(undefined);
  const me = useSession((s) => s.session?.user.id);
  const selection = useMessages((s) => (s.selection?.peerUserId === peerUserId ? s.selection.ids : null));
  const [menu, setMenu] = useState<{ message: LocalMessage; at: { x: number; y: number } } | null>(null);
  const [dialog, setDialog] = useState<{ kind: 'delete' | 'forward' | 'history'; messages: LocalMessage[] } | null>(
    null,
  );
  const openMenu = useRef<OpenMenu>((message, at) => setMenu({ message, at })).current;
  const closeDialog = (done: boolean) => {
    if (done && dialog && dialog.kind !== 'history') useMessages.getState().clearSelection();
    setDialog(null);
  };

  const messages = thread?.messages ?? NO_MESSAGES;
  // biome-ignore lint/correctness/useExhaustiveDependencies: `today` is the reason to relabel the days
  const rows = useMemo(() => buildRows(messages, i18n.language, Date.now(), t), [messages, i18n.language, t, today]);

  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: (index) => estimateRow(rows[index]),
    getItemKey: (index) => rows[index]?.key ?? index,
    overscan: 6,
    paddingStart: 8,
    paddingEnd: 8,
    // Chat behaviour: rows added above keep the view still; rows added below are followed
    // while the reader is at the bottom.
    anchorTo: 'end',
    followOnAppend: true,
    scrollEndThreshold: AT_END_PX,
  });

  // Open at the newest message, unless a search result is the place to go.
  useLayoutEffect(() => {
    if (opened.current || !thread?.loaded || rows.length === 0) return;
    opened.current = true;
    if (!focus) virtualizer.scrollToEnd();
  }, [thread?.loaded, rows.length, focus, virtualizer]);

  // My own new message, and the entry of a call I was just in, are always brought into view,
  // wherever I was reading.
  useLayoutEffect(() => {
    const last = rows.at(-1);
    const previous = lastKey.current;
    lastKey.current = last?.key;
    if (!opened.current || !last || last.key === previous) return;
    if ((last.message.direction === 'out' && last.message.status === 'pending') || last.message.call)
      virtualizer.scrollToEnd();
  }, [rows, virtualizer]);

  // The view shrinks under the reader (files staged above the composer, a longer draft): one
  // reading at the newest message stays there rather than having it covered.
  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const observer = new ResizeObserver(() => {
      if (opened.current && wasAtEnd.current) virtualizer.scrollToEnd();
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [virtualizer]);

  // A search result: load older pages until the message is here, then centre and highlight it.
  useEffect(() => {
    if (!focus || !thread?.loaded) return;
    const index = rows.findIndex((row) => row.key === focus);
    if (index >= 0) {
      virtualizer.scrollToIndex(index, { align: 'center' });
      setHighlighted(focus);
      useMessages.getState().setFocus(null);
    } else if (thread.before) {
      if (!thread.loadingOlder)
        void useMessages
          .getState()
          .loadOlder(peerUserId)
          .catch(() => {});
    } else {
      useMessages.getState().setFocus(null); // not in this chat (any more)
    }
  }, [focus, rows, thread?.loaded, thread?.before, thread?.loadingOlder, peerUserId, virtualizer]);

  useEffect(() => {
    if (!highlighted) return;
    const timer = setTimeout(() => setHighlighted(null), HIGHLIGHT_MS);
    return () => clearTimeout(timer);
  }, [highlighted]);

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    wasAtEnd.current = el.scrollHeight - el.scrollTop - el.clientHeight <= AT_END_PX;
    setAtEnd(wasAtEnd.current);
    if (opened.current && el.scrollTop < LOAD_OLDER_WITHIN_PX && thread?.before && !thread.loadingOlder)
      void useMessages
        .getState()
        .loadOlder(peerUserId)
        .catch(() => {});
  };

  return (
    <div className="history-frame">
      <SelectionBar
        peerUserId={peerUserId}
        onAct={(kind, ids) => setDialog({ kind, messages: messages.filter((m) => ids.includes(m.id)) })}
      />
      {menu ? (
        <Menu
          label={t('messageActions.menu')}
          at={menu.at}
          groups={menuGroups(menu.message, t, me, (kind) => setDialog({ kind, messages: [menu.message] }))}
          onClose={() => setMenu(null)}
        />
      ) : null}
      {dialog?.kind === 'delete' ? <DeleteDialog messages={dialog.messages} onClose={closeDialog} /> : null}
      {dialog?.kind === 'forward' ? (
        <ForwardDialog messageIds={dialog.messages.map((m) => m.id)} onClose={closeDialog} />
      ) : null}
      {dialog?.kind === 'history' && dialog.messages[0] ? (
        <EditHistoryDialog message={dialog.messages[0]} onClose={() => setDialog(null)} />
      ) : null}
      {thread?.loadingOlder ? (
        <p className="history-loading" role="status">
          {t('conversation.loadingOlder')}
        </p>
      ) : null}
      {thread?.loaded && rows.length === 0 ? <p className="history-empty">{t('conversation.empty')}</p> : null}
      <div
        ref={scroller}
        className="history"
        role="log"
        aria-label={t('conversation.history')}
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard to scroll it
        tabIndex={0}
        onScroll={onScroll}
      >
        <ol className="history-rows" style={{ height: virtualizer.getTotalSize() }}>
          {virtualizer.getVirtualItems().map((item) => {
            const row = rows[item.index];
            if (!row) return null;
            return (
              <li
                key={row.key}
                data-index={item.index}
                ref={virtualizer.measureElement}
                className={`message-row ${row.message.direction}${row.continued ? ' continued' : ''}`}
                style={{ transform: `translateY(${item.start}px)` }}
              >
                {row.day ? (
                  <p className="day-separator">
                    <span>{row.day}</span>
                  </p>
                ) : null}
                <MessageRow
                  message={row.message}
                  continued={row.continued}
                  highlighted={highlighted === row.key}
                  peerName={peerName}
                  openMenu={openMenu}
                  selected={selection ? selection.includes(row.key) : undefined}
                />
              </li>
            );
          })}
        </ol>
      </div>
      {atEnd ? null : (
        <button
          type="button"
          className="jump-latest"
          aria-label={t('conversation.jumpToLatest')}
          title={t('conversation.jumpToLatest')}
          onClick={() =>
            virtualizer.scrollToEnd({
              behavior: window.matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth',
            })
          }
        >
          <Icon name="arrowDown" />
        </button>
      )}
    </div>
  );
}
