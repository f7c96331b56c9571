import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ClientEvents } from '@parley/shared';
import { app, BrowserWindow, dialog, ipcMain, Menu, nativeImage, protocol, session, shell, Tray } from 'electron';
import { BRIDGE_CALL, BRIDGE_EVENT } from '../bridge/bridge.js';
import { contentSecurityPolicy } from '../bridge/content-security-policy.js';
import { CoreThread } from '../core/core-thread.js';
import { isInsideDir } from './app-url.js';

/**
 * The Electron main process, kept thin: one locked-down window, the core in its own thread (out
 * of the renderer and off this thread, which serves the window), IPC generated from the shared API
 * definition, unread badge and tray.
 */
const here = dirname(fileURLToPath(import.meta.url));
const rendererIndex = join(here, '../renderer/index.html');
const rendererDir = pathToFileURL(join(here, '../renderer')).href;
const serverUrl = process.env.PARLEY_SERVER_URL ?? 'http://127.0.0.1:3000';

/** Also in the page as a <meta> (vite.config.ts): a header is not applied to a file:// load. */
const CSP = contentSecurityPolicy();
/** Attachments' plaintext for <img>/<audio> and saving (see `renderer/platform/attachment-url.ts`). */
const ATTACHMENT_SCHEME = 'parley-attachment';
protocol.registerSchemesAsPrivileged([
  { scheme: ATTACHMENT_SCHEME, privileges: { standard: true, secure: true, stream: true, supportFetchAPI: true } },
]);

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.enableSandbox();
  let window: BrowserWindow | null = null;
  let tray: Tray | null = null;
  // The core's thread opens the keychain and the store at once, while the window loads.
  const thread = new CoreThread({
    dataDir: process.env.PARLEY_DATA_DIR ?? join(app.getPath('userData'), 'account'),
    serverUrl,
  });
  void thread.crashed.then((error) => {
    console.error('parley: the core stopped', error);
    dialog.showErrorBox('Parley stopped', `Parley ran into a problem and has to close.\n\n${error.message}`);
    app.quit();
  });

  const isOurs = (url: string) => isInsideDir(url, rendererDir);

  const createWindow = () => {
    window = new BrowserWindow({
      width: 1100,
      height: 760,
      minWidth: 720,
      minHeight: 480,
      show: false,
      webPreferences: {
        preload: join(here, '../preload/preload.cjs'),
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        webSecurity: true,
        spellcheck: true,
        // Middle-click must not open links in new windows.
        disableBlinkFeatures: 'Auxclick',
      },
    });
    window.webContents.setWindowOpenHandler(({ url }) => {
      // Links open in the user's browser, never inside the app.
      if (/^https?:\/\//.test(url)) void shell.openExternal(url);
      return { action: 'deny' };
    });
    window.webContents.on('will-navigate', (event, url) => {
      if (!isOurs(url)) event.preventDefault();
    });
    window.once('ready-to-show', () => window?.show());
    // Presence says "online" while a window is open, not while the app only runs (macOS keeps it without one).
    void thread.invoke('setWindowOpen', [true]);
    window.on('closed', () => {
      window = null;
      void thread.invoke('setWindowOpen', [false]);
    });
    void window.loadFile(rendererIndex);
  };

  // The events that change it carry the unread total: no refetch of the conversation list.
  const showUnread = (unread: number) => {
    app.setBadgeCount(unread);
    tray?.setToolTip(unread > 0 ? `Parley — ${unread} unread` : 'Parley');
    tray?.setImage(trayIcon(unread > 0));
  };

  const trayIcon = (unread: boolean) =>
    nativeImage.createFromPath(join(here, `../../assets/${unread ? 'tray-unread' : 'tray'}.png`));

  app.on('second-instance', () => {
    if (window?.isMinimized()) window.restore();
    window?.focus();
  });

  app.on('web-contents-created', (_, contents) => {
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });

  void app.whenReady().then(() => {
    session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
      callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
    });
    session.defaultSession.setPermissionRequestHandler((contents, permission, callback) => {
      // Only what the app uses: notifications, and camera/microphone for calls.
      callback(isOurs(contents.getURL()) && ['notifications', 'media'].includes(permission));
    });
    protocol.handle(ATTACHMENT_SCHEME, async (request) => {
      const url = new URL(request.url);
      const answer = await thread.attachment(url.pathname.slice(1), {
        range: request.headers.get('range'),
        download: url.searchParams.has('download'),
      });
      const body = answer.body && (Readable.toWeb(answer.body) as ReadableStream);
      return new Response(body, { status: answer.status, headers: answer.headers });
    });
    // "Save" asks where (Electron's save dialog), then shows the saved file in its folder.
    session.defaultSession.on('will-download', (_, item) => {
      item.once('done', (__, state) => {
        if (state === 'completed') shell.showItemInFolder(item.getSavePath());
      });
    });
    ipcMain.handle(BRIDGE_CALL, (event, method: unknown, args: unknown) => {
      if (!event.senderFrame || !isOurs(event.senderFrame.url)) {
        return { ok: false, error: { code: 'FORBIDDEN', message: 'Not the Parley window' } };
      }
      return thread.invoke(method, args);
    });
    thread.subscribe((event, payload) => {
      window?.webContents.send(BRIDGE_EVENT, event, payload);
      if (event === 'message' || event === 'read') showUnread((payload as ClientEvents[typeof event]).unreadTotal);
    });
    if (process.platform !== 'darwin') {
      tray = new Tray(trayIcon(false));
      tray.setContextMenu(
        Menu.buildFromTemplate([
          { label: 'Open Parley', click: () => (window ? window.show() : createWindow()) },
          { type: 'separator' },
          { label: 'Quit', role: 'quit' },
        ]),
      );
      tray.on('click', () => (window ? window.show() : createWindow()));
    }
    createWindow();
    app.on('activate', () => {
      if (!window) createWindow();
    });
  });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  // Quitting waits for the core to close its store (then its thread ends).
  let coreClosed = false;
  app.on('before-quit', (event) => {
    if (coreClosed) return;
    event.preventDefault();
    void thread.close().finally(() => {
      coreClosed = true;
      app.quit();
    });
  });
}
