// Imported first by every renderer test: the app's api.ts reads window.parley once, on load.
import './layout.js';
// Types only (erased): the declaration of window.parley, without loading api.ts too early.
import type {} from '../../../src/renderer/api.js';
import { fake } from './fake-bridge.js';

window.parley = fake;
