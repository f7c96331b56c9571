import { type FetchedLinkPreview, LIMITS, type LinkPreview } from '@parley/shared';

/** Sizes (longest side, JPEG quality) tried in turn until the picture fits a message. */
const ATTEMPTS: readonly [number, number][] = [
  [360, 0.82],
  [280, 0.72],
  [200, 0.62],
  [140, 0.55],
];

const toBytes = (base64: string) => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
const toBase64 = async (blob: Blob) => {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
};

/**
 * A fetched preview made ready to travel in a message: its picture redrawn small enough
 * (`LIMITS.previewImageBytes`) as a JPEG, or dropped when it cannot be decoded or shrunk.
 */
export async function previewForMessage(fetched: FetchedLinkPreview): Promise<LinkPreview> {
  const { image, ...rest } = fetched;
  if (!image) return rest;
  try {
    const bitmap = await createImageBitmap(new Blob([toBytes(image.data)], { type: image.contentType }));
    for (const [side, quality] of ATTEMPTS) {
      const scale = Math.min(1, side / Math.max(bitmap.width, bitmap.height));
      const canvas = new OffscreenCanvas(
        Math.max(1, Math.round(bitmap.width * scale)),
        Math.max(1, Math.round(bitmap.height * scale)),
      );
      const context = canvas.getContext('2d');
      if (!context) break;
      // JPEG has no transparency: a transparent picture goes on white, not black.
      context.fillStyle = '#ffffff';
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality });
      if (blob.size <= LIMITS.previewImageBytes)
        return { ...rest, image: { contentType: 'image/jpeg', data: await toBase64(blob) } };
    }
  } catch {} // not a picture the browser can draw: the preview goes without it
  return rest;
}
