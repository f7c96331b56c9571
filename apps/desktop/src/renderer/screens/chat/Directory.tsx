import { LIMITS, type User } from '@parley/shared';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { errorMessage, parley } from '../../api.js';
import { Avatar } from '../../components/Avatar.js';
import { useContacts } from '../../stores/contacts.js';
import { useConversations } from '../../stores/conversations.js';
import { useSession } from '../../stores/session.js';
import { moveFocusInList } from './navigation.js';

const DEBOUNCE_MS = 300;

/** People on the server matching the search (paginated), each with "Add to contacts". */
export function Directory({ query }: { query: string }) {
  const { t } = useTranslation();
  const me = useSession((s) => s.session?.user.id);
  const contactIds = new Set(useContacts((s) => s.contacts).map((c) => c.userId));
  const [people, setPeople] = useState<User[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [state, setState] = useState<'searching' | 'done' | 'failed'>('searching');
  const [problem, setProblem] = useState<string | null>(null);
  const [adding, setAdding] = useState<string | null>(null);
  const q = query.slice(0, LIMITS.searchQuery.max);

  useEffect(() => {
    let current = true;
    setState('searching');
    setProblem(null);
    const timer = setTimeout(() => {
      parley.searchUsers(q).then(
        (page) => {
          if (!current) return;
          setPeople(page.items);
          setCursor(page.nextCursor);
          setState('done');
        },
        (error: unknown) => {
          if (!current) return;
          setPeople([]);
          setCursor(null);
          setProblem(errorMessage(error, t));
          setState('failed');
        },
      );
    }, DEBOUNCE_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [q, t]);

  const more = async () => {
    if (!cursor) return;
    try {
      const page = await parley.searchUsers(q, cursor);
      setPeople((shown) => [...shown, ...page.items.filter((u) => !shown.some((s) => s.id === u.id))]);
      setCursor(page.nextCursor);
    } catch (error) {
      setProblem(errorMessage(error, t));
    }
  };

  const add = async (user: User) => {
    setAdding(user.id);
    setProblem(null);
    try {
      await useContacts.getState().add(user.id);
    } catch (error) {
      setProblem(errorMessage(error, t));
    } finally {
      setAdding(null);
    }
  };

  const shown = people.filter((u) => u.id !== me);
  return (
    <section className="directory" aria-labelledby="directory-heading" aria-busy={state === 'searching'}>
      <h3 id="directory-heading" className="list-heading">
        {t('sidebar.directory')}
      </h3>
      {problem ? (
        <p role="alert" className="form-error">
          {problem}
        </p>
      ) : null}
      {state === 'searching' && shown.length === 0 ? <p className="sidebar-empty">{t('sidebar.searching')}</p> : null}
      {state === 'done' && shown.length === 0 ? <p className="sidebar-empty">{t('sidebar.nobody')}</p> : null}
      <ul className="chat-list" onKeyDown={(event) => moveFocusInList(event, '[data-directory-item]')}>
        {shown.map((user) => (
          <li key={user.id} className="directory-item">
            <button
              type="button"
              className="chat-item"
              data-directory-item
              onClick={() => {
                useConversations.getState().remember(user);
                useConversations.getState().open(user.id);
              }}
            >
              <Avatar id={user.id} name={user.displayName} />
              <span className="chat-main">
                <span className="chat-line">
                  <span className="chat-name">{user.displayName}</span>
                </span>
                <span className="chat-line">
                  <span className="chat-preview">@{user.username}</span>
                </span>
              </span>
            </button>
            {contactIds.has(user.id) ? (
              <span className="added">{t('sidebar.added')}</span>
            ) : (
              <button
                type="button"
                className="small"
                aria-label={t('sidebar.add', { name: user.displayName })}
                disabled={adding === user.id}
                onClick={() => void add(user)}
              >
                {t('sidebar.addShort')}
              </button>
            )}
          </li>
        ))}
      </ul>
      {cursor ? (
        <button type="button" className="link more" onClick={() => void more()}>
          {t('sidebar.more')}
        </button>
      ) : null}
    </section>
  );
}
