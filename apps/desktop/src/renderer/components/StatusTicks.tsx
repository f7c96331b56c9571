import type { MessageStatus } from '@parley/shared';
import { useTranslation } from 'react-i18next';

const GLYPH: Record<MessageStatus, string> = { pending: '◷', sent: '✓', delivered: '✓✓', read: '✓✓', failed: '!' };

export function StatusTicks({ status }: { status: MessageStatus }) {
  const { t } = useTranslation();
  const label = t(`conversation.status.${status}`);
  return (
    <span className={`ticks ticks-${status}`} role="img" aria-label={label} title={label}>
      {GLYPH[status]}
    </span>
  );
}
