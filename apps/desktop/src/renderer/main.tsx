// The bridge first: in the browser host it creates window.parley before anything uses it.
import './platform/install-bridge.js';
import './styles.css';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { initI18n } from './i18n/i18n.js';
import { useSettings } from './stores/settings.js';

initI18n(useSettings.getState().language);
const root = document.getElementById('root');
if (root) createRoot(root).render(<App />);
