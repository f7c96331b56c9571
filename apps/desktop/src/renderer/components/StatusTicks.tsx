import type { MessageStatus } from '@parley/shared';
import { useTranslation } from 'react-i18next';
import { Icon, type IconName } from './Icon.js';

const GLYPH: Record<MessageStatus, IconName> = {
  pending: 'clock',
  sent: 'check',
  delivered: 'checks',
  read: 'checks',
  failed: 'alert',
};

/** An outgoing message's state: a clock, ✓, ✓✓, coloured ✓✓ when read, or a warning when it failed. */
export function StatusTicks({ status }: { status: MessageStatus }) {
  const { t } = useTranslation();
  const label = t(`conversation.status.${status}`);
  return (
    <span className={`ticks ticks-${status}`} role="img" aria-label={label} title={label}>
      <Icon name={GLYPH[status]} size={status === 'delivered' || status === 'read' ? 17 : 14} />
    </span>
  );
}
