import type { SearchHit } from '@parley/shared';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { errorMessage, parley } from '../api.js';

const DEBOUNCE_MS = 150;

/**
 * The messages matching what is typed (the local index: works offline), asked for a moment after
 * typing stops: in every chat, or in one when `peerUserId` is given. `hits` is null while nothing
 * is typed.
 */
export function useMessageSearch(query: string, limit: number, peerUserId?: string) {
  const { t } = useTranslation();
  const [hits, setHits] = useState<SearchHit[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    const q = query.trim();
    if (!q) {
      setHits(null);
      setProblem(null);
      return;
    }
    let current = true;
    const timer = setTimeout(() => {
      (peerUserId ? parley.searchMessages(q, limit, peerUserId) : parley.searchMessages(q, limit)).then(
        (found) => {
          if (!current) return;
          setHits(found);
          setProblem(null);
        },
        (error: unknown) => {
          if (!current) return;
          setHits([]);
          setProblem(errorMessage(error, t));
        },
      );
    }, DEBOUNCE_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [query, limit, peerUserId, t]);

  return { hits, problem };
}
