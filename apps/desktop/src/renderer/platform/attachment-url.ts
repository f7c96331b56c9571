/**
 * Where the renderer reads an attachment's plaintext: the shell decrypts the local copy as it
 * serves it (the browser host on its own origin, Electron through its `parley-attachment:`
 * protocol). `download` asks for it as a file to save, under its name.
 */
export const ATTACHMENT_SCHEME = 'parley-attachment';

export function attachmentUrl(messageId: string, download = false): string {
  const base =
    window.location.protocol === 'file:' ? `${ATTACHMENT_SCHEME}://files/${messageId}` : `/attachments/${messageId}`;
  return download ? `${base}?download` : base;
}
