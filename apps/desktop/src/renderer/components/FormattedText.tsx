import { Fragment, type ReactNode, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { parseFormatting, type TextNode } from '../text/formatting.js';

/** Hidden until clicked or activated by keyboard; screen readers hear "Spoiler" until then. */
function Spoiler({ children }: { children: ReactNode }) {
  const { t } = useTranslation();
  const [shown, setShown] = useState(false);
  if (shown) return <span className="spoiler shown">{children}</span>;
  return (
    <button type="button" className="spoiler" aria-label={t('formatting.spoiler')} onClick={() => setShown(true)}>
      <span aria-hidden="true">{children}</span>
    </button>
  );
}

/** A keycap (1️⃣, #️⃣) starts with a plain digit or sign, which the text font would draw: marked as emoji. */
const KEYCAP = /([#*0-9]\uFE0F?\u20E3)/u;

function plain(text: string, key: string): ReactNode {
  const parts = text.split(KEYCAP);
  if (parts.length === 1) return text;
  return (
    <Fragment key={key}>
      {parts.map((part, i) =>
        i % 2 === 1 ? (
          // biome-ignore lint/suspicious/noArrayIndexKey: the parts of one text, in a fixed order
          <span key={i} className="emoji">
            {part}
          </span>
        ) : (
          part
        ),
      )}
    </Fragment>
  );
}

function render(nodes: TextNode[]): ReactNode[] {
  return nodes.map((node, i) => {
    const key = `${i}-${node.type}`;
    switch (node.type) {
      case 'text':
        return plain(node.text, key);
      case 'bold':
        return <strong key={key}>{render(node.children)}</strong>;
      case 'italic':
        return <em key={key}>{render(node.children)}</em>;
      case 'strike':
        return <s key={key}>{render(node.children)}</s>;
      case 'spoiler':
        return <Spoiler key={key}>{render(node.children)}</Spoiler>;
      case 'code':
        return <code key={key}>{node.text}</code>;
      case 'pre':
        return (
          <code key={key} className="block">
            {node.text}
          </code>
        );
      default:
        // A link: a new window the shell does not open: Electron hands http(s) to the system browser.
        return (
          <a key={key} href={node.url} target="_blank" rel="noopener noreferrer">
            {node.text}
          </a>
        );
    }
  });
}

/** A message's text with its formatting and links, as React elements (never as HTML). */
export function FormattedText({ text }: { text: string }) {
  return <>{render(parseFormatting(text))}</>;
}
