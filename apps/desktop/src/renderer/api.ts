import type { ClientBridge, ClientError } from '@parley/shared';
import type { TFunction } from 'i18next';

/** The only way to the core: `window.parley` (Electron preload, or the host bridge). */
export function parley(): ClientBridge {
  if (!window.parley) throw new Error('window.parley is missing');
  return window.parley;
}

/** A failed call in words, by its stable code. */
export function errorText(error: unknown, t: TFunction): string {
  const code = (error as Partial<ClientError>)?.code;
  const key = `errors.${code}`;
  return code && t(key) !== key ? t(key) : t('errors.default');
}
