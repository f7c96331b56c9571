import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { connectCoreEvents } from './events.js';
import { AuthScreen } from './screens/auth/AuthScreen.js';
import { KeychainScreen, OpeningScreen, RestoreFailedScreen } from './screens/auth/StartupScreens.js';
import { ChatScreen } from './screens/chat/ChatScreen.js';
import { useSession } from './stores/session.js';
import { useSettings } from './stores/settings.js';
import { applyTheme } from './theme.js';

/** The theme on <html data-theme>: the chosen one, or the OS's, followed live. */
function useTheme() {
  const theme = useSettings((s) => s.theme);
  useEffect(() => applyTheme(theme), [theme]);
}

/** The chosen language, for i18next and for <html lang> (screen readers pick their voice by it). */
function useLanguage() {
  const { i18n } = useTranslation();
  const language = useSettings((s) => s.language);
  useEffect(() => {
    if (i18n.language !== language) void i18n.changeLanguage(language);
    document.documentElement.lang = language;
  }, [language, i18n]);
}

/** Restores the session once, then shows the screen its phase calls for. */
export function App() {
  const phase = useSession((s) => s.phase);
  useTheme();
  useLanguage();

  useEffect(() => {
    const disconnect = connectCoreEvents();
    void useSession.getState().restore();
    return disconnect;
  }, []);

  switch (phase) {
    case 'restoring':
      return <OpeningScreen />;
    case 'keychainUnavailable':
      return <KeychainScreen />;
    case 'restoreFailed':
      return <RestoreFailedScreen />;
    case 'signedOut':
      return <AuthScreen />;
    case 'signedIn':
      return <ChatScreen />;
  }
}
