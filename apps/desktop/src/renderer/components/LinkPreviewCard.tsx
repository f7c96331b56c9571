import type { LinkPreview } from '@parley/shared';

/**
 * A link's preview as its sender's app made it: the picture travels in the message, so nothing is
 * fetched to show it. The card is the link itself (it opens in the system browser).
 */
export function LinkPreviewCard({ preview }: { preview: LinkPreview }) {
  const host = new URL(preview.url).host;
  return (
    <a className="link-preview" href={preview.url} target="_blank" rel="noopener noreferrer">
      {preview.image ? <img src={`data:${preview.image.contentType};base64,${preview.image.data}`} alt="" /> : null}
      <span className="link-preview-text">
        <span className="link-preview-host">{host}</span>
        <strong className="link-preview-title">{preview.title}</strong>
        {preview.description ? <span className="link-preview-description">{preview.description}</span> : null}
      </span>
    </a>
  );
}
