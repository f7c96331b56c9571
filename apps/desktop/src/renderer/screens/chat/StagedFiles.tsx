import { AttachmentQuotaDetails, AttachmentTooLargeDetails } from '@parley/shared';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import { errorCode, errorMessage } from '../../api.js';
import { Icon } from '../../components/Icon.js';
import { formatBytes } from '../../i18n/format.js';
import { type FileProblem, type OutgoingEntry, useTransfers } from '../../stores/transfers.js';

const NO_ENTRIES: OutgoingEntry[] = [];
const NO_PROBLEMS: FileProblem[] = [];

/** Why a file was not sent, in words; a file over the server's limit or the sender's quota says the sizes. */
function problemText(problem: FileProblem, t: TFunction, language: string): string {
  const code = errorCode(problem.error);
  const rawDetails = (problem.error as { details?: unknown } | null)?.details;
  if (code === 'ATTACHMENT_QUOTA_EXCEEDED') {
    const details = AttachmentQuotaDetails.safeParse(rawDetails);
    if (!details.success) return t('attachments.quotaFullNoLimit', { name: problem.name });
    const used = formatBytes(details.data.usedBytes, language);
    const quota = formatBytes(details.data.quotaBytes, language);
    return t('attachments.quotaFull', { name: problem.name, used, quota });
  }
  if (code === 'ATTACHMENT_TOO_LARGE') {
    const details = AttachmentTooLargeDetails.safeParse(rawDetails);
    if (!details.success) return t('attachments.tooLargeNoLimit', { name: problem.name });
    const { maxBytes } = details.data;
    const size = formatBytes(problem.size, language);
    const max = formatBytes(maxBytes, language);
    // Just over the limit, both round to the same words: then it is "over" the limit.
    return size === max
      ? t('attachments.tooLargeJustOver', { name: problem.name, max })
      : t('attachments.tooLarge', { name: problem.name, size, max });
  }
  return t('attachments.notSent', { name: problem.name, reason: errorMessage(problem.error, t) });
}

/** The files of the last send that were refused, until the next send or staging. */
export function FileProblems({ peerUserId }: { peerUserId: string }) {
  const { t, i18n } = useTranslation();
  const problems = useTransfers((s) => s.problems[peerUserId] ?? NO_PROBLEMS);
  if (problems.length === 0) return null;
  return (
    <div role="alert" className="composer-problem file-problems">
      {problems.map((problem, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: the list is replaced whole, never reordered
        <p key={index} className="form-error">
          {problemText(problem, t, i18n.language)}
        </p>
      ))}
      <button
        type="button"
        className="icon-button"
        aria-label={t('conversation.dismiss')}
        title={t('conversation.dismiss')}
        onClick={() => useTransfers.getState().dismissProblems(peerUserId)}
      >
        <Icon name="close" size={16} />
      </button>
    </div>
  );
}

/** One outgoing file: thumbnail or icon, name, and its hand-over's progress or its size. */
function OutgoingItem({ peerUserId, entry, sending }: { peerUserId: string; entry: OutgoingEntry; sending: boolean }) {
  const { t, i18n } = useTranslation();
  const handingOver = entry.phase !== 'ready' && entry.total > 0;
  return (
    <li className={`staged-file${sending ? ' sending' : ''}`}>
      {entry.previewUrl ? (
        // Decorative: the name is next to it.
        <img className="staged-thumbnail" src={entry.previewUrl} alt="" />
      ) : (
        <span className="staged-icon" aria-hidden="true">
          <Icon name="file" size={22} />
        </span>
      )}
      <span className="staged-text">
        <span className="staged-name">{entry.name}</span>
        {handingOver ? (
          <>
            <progress
              max={Math.max(1, entry.total)}
              value={entry.done}
              aria-label={t('attachments.preparing', { name: entry.name })}
            />
            <span className="staged-meta">
              {t('attachments.progress', {
                done: formatBytes(entry.done, i18n.language),
                total: formatBytes(entry.total, i18n.language),
              })}
            </span>
          </>
        ) : (
          <span className="staged-meta">
            {sending ? t('attachments.waiting') : formatBytes(entry.total, i18n.language)}
          </span>
        )}
      </span>
      {sending ? (
        <button type="button" className="small" onClick={() => useTransfers.getState().discard(peerUserId, entry.key)}>
          {t('attachments.cancel')}
        </button>
      ) : (
        <button
          type="button"
          className="icon-button"
          aria-label={t('attachments.remove', { name: entry.name })}
          title={t('attachments.remove', { name: entry.name })}
          onClick={() => useTransfers.getState().discard(peerUserId, entry.key)}
        >
          <Icon name="close" size={16} />
        </button>
      )}
    </li>
  );
}

/**
 * Above the composer: the files being sent (until they are messages), then those waiting for
 * Send (a thumbnail for pictures, else an icon; each removable). Both show how far they are handed
 * over to the core.
 */
export function StagedFiles({ peerUserId }: { peerUserId: string }) {
  const { t } = useTranslation();
  const staged = useTransfers((s) => s.staged[peerUserId] ?? NO_ENTRIES);
  const sending = useTransfers((s) => s.sending[peerUserId] ?? NO_ENTRIES);
  if (staged.length === 0 && sending.length === 0) return null;
  return (
    <ul className="staged-files" aria-label={t('attachments.staged')}>
      {sending.map((entry) => (
        <OutgoingItem key={entry.key} peerUserId={peerUserId} entry={entry} sending />
      ))}
      {staged.map((entry) => (
        <OutgoingItem key={entry.key} peerUserId={peerUserId} entry={entry} sending={false} />
      ))}
    </ul>
  );
}
