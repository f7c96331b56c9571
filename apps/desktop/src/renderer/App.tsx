import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { subscribeToCore } from './events.js';
import { AuthScreen, KeychainScreen } from './screens/AuthScreen.js';
import { ChatScreen } from './screens/ChatScreen.js';
import { useSession } from './stores/session.js';
import { useSettings } from './stores/settings.js';

/** Applies the theme: the OS's (followed live) unless the user chose one. */
function useTheme() {
  const theme = useSettings((s) => s.theme);
  useEffect(() => {
    const media = window.matchMedia('(prefers-color-scheme: dark)');
    const apply = () => {
      document.documentElement.dataset.theme = theme === 'system' ? (media.matches ? 'dark' : 'light') : theme;
    };
    apply();
    media.addEventListener('change', apply);
    return () => media.removeEventListener('change', apply);
  }, [theme]);
}

export function App() {
  const { t, i18n } = useTranslation();
  const status = useSession((s) => s.status);
  useTheme();

  useEffect(() => subscribeToCore(t), [t]);
  useEffect(() => {
    void useSession.getState().restore();
  }, []);
  useEffect(() => {
    document.documentElement.lang = i18n.language;
  }, [i18n.language]);

  if (status === 'loading') {
    return (
      <main className="auth" aria-busy="true">
        <p>{t('loading')}</p>
      </main>
    );
  }
  if (status === 'keychainUnavailable') return <KeychainScreen />;
  if (status === 'signedOut') return <AuthScreen />;
  return <ChatScreen />;
}
