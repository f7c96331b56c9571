// The bridge first: in the browser host it creates window.parley, which api.ts reads on load.
import './platform/install-bridge.js';
import './styles/theme.css';
import './styles/base.css';
import './styles/auth.css';
import './styles/sidebar.css';
import './styles/conversation.css';
import './styles/attachments.css';
import './styles/dialogs.css';
import './styles/call.css';
import './styles/writing.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { installEmojiFont } from './emoji/emoji-font.js';
import { initI18n } from './i18n/i18n.js';
import { useSettings } from './stores/settings.js';
import { applyTheme } from './theme.js';

// Language and theme before the first paint: no flash of English or of the light theme.
initI18n(useSettings.getState().language);
installEmojiFont();
const stopFollowingTheme = applyTheme(useSettings.getState().theme);
stopFollowingTheme(); // App follows the OS from here

const root = document.getElementById('root');
if (root)
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
