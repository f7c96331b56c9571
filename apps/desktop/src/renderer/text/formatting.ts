/**
 * Message text as people write it in Telegram and Signal: `**bold**`, `__italic__`, `~~struck~~`,
 * `||spoiler||`, `` `monospace` `` and ```` ```blocks``` ````, and web links. Parsed into a tree
 * that React renders as elements: the text is never turned into HTML, so no markup in a message
 * can inject any.
 */

export type Styled = 'bold' | 'italic' | 'strike' | 'spoiler';

export type TextNode =
  | { type: 'text'; text: string }
  | { type: Styled; children: TextNode[] }
  | { type: 'code' | 'pre'; text: string }
  | { type: 'link'; url: string; text: string };

const STYLES: readonly [string, Styled][] = [
  ['**', 'bold'],
  ['__', 'italic'],
  ['~~', 'strike'],
  ['||', 'spoiler'],
];

/**
 * Web links: http(s) URLs and `www.` addresses. Trailing punctuation that ends a sentence is not
 * part of the link, nor is a closing bracket that has no opening one inside it.
 */
const LINK = /\b(?:https?:\/\/|www\.)[^\s<>"«»]+/giu;
const TRAILING = /[.,!?:;'…]+$/u;

export interface FoundLink {
  start: number;
  end: number;
  /** What opens: http(s), `www.` given https. */
  url: string;
}

export function findLinks(text: string): FoundLink[] {
  const links: FoundLink[] = [];
  for (const match of text.matchAll(LINK)) {
    let raw = match[0].replace(TRAILING, '');
    while (raw.endsWith(')') && (raw.match(/\(/g)?.length ?? 0) < (raw.match(/\)/g)?.length ?? 0)) {
      raw = raw.slice(0, -1).replace(TRAILING, '');
    }
    const href = /^www\./i.test(raw) ? `https://${raw}` : raw;
    try {
      const url = new URL(href);
      if (url.protocol === 'http:' || url.protocol === 'https:')
        links.push({ start: match.index, end: match.index + raw.length, url: url.href });
    } catch {} // not a URL after all: stays text
  }
  return links;
}

const isSpace = (c: string | undefined) => c === undefined || /\s/u.test(c);

/** Parses message text into formatted nodes. */
export function parseFormatting(text: string): TextNode[] {
  const links = findLinks(text);
  const inLink = (at: number) => links.some((l) => at >= l.start && at < l.end);
  const nodes: TextNode[] = [];
  let plain = '';
  const flush = () => {
    if (plain) nodes.push({ type: 'text', text: plain });
    plain = '';
  };
  let i = 0;
  while (i < text.length) {
    const link = links.find((l) => l.start === i);
    if (link) {
      flush();
      nodes.push({ type: 'link', url: link.url, text: text.slice(link.start, link.end) });
      i = link.end;
      continue;
    }
    if (text.startsWith('```', i)) {
      const close = text.indexOf('```', i + 3);
      if (close > i + 3) {
        flush();
        nodes.push({ type: 'pre', text: text.slice(i + 3, close).replace(/^\n|\n$/g, '') });
        i = close + 3;
        continue;
      }
    }
    if (text[i] === '`') {
      const close = text.indexOf('`', i + 1);
      if (close > i + 1 && !text.slice(i + 1, close).includes('\n')) {
        flush();
        nodes.push({ type: 'code', text: text.slice(i + 1, close) });
        i = close + 1;
        continue;
      }
    }
    const style = STYLES.find(([marker]) => text.startsWith(marker, i));
    if (style && !isSpace(text[i + 2])) {
      const [marker, type] = style;
      let close = text.indexOf(marker, i + 3);
      while (close !== -1 && (isSpace(text[close - 1]) || inLink(close))) close = text.indexOf(marker, close + 1);
      if (close !== -1) {
        flush();
        nodes.push({ type, children: parseFormatting(text.slice(i + 2, close)) });
        i = close + 2;
        continue;
      }
    }
    plain += text[i];
    i++;
  }
  flush();
  return nodes;
}

/** The text without its formatting marks, spoilers still hidden (chat list, notifications). */
export function plainText(text: string): string {
  const flat = (nodes: TextNode[]): string =>
    nodes.map((n) => (n.type === 'spoiler' ? '▒▒▒' : 'children' in n ? flat(n.children) : n.text)).join('');
  return flat(parseFormatting(text));
}
