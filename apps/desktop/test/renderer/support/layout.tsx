/**
 * happy-dom lays nothing out (every size is 0), so the virtualized history would show no rows.
 * These getters give the history a viewport and its rows a height, as a browser would.
 */
export const VIEWPORT_PX = 600;
export const ROW_PX = 48;

const isHistory = (el: Element) => el.getAttribute('role') === 'log';
const isHistoryRow = (el: Element) =>
  el.tagName === 'LI' && el.parentElement?.parentElement?.getAttribute('role') === 'log';

Object.defineProperty(HTMLElement.prototype, 'clientHeight', {
  configurable: true,
  get(this: HTMLElement) {
    return isHistory(this) ? VIEWPORT_PX : 0;
  },
});
Object.defineProperty(HTMLElement.prototype, 'offsetHeight', {
  configurable: true,
  get(this: HTMLElement) {
    return isHistoryRow(this) ? ROW_PX : 0;
  },
});
Object.defineProperty(HTMLElement.prototype, 'scrollHeight', {
  configurable: true,
  get(this: HTMLElement) {
    if (!isHistory(this)) return 0;
    const rows = this.firstElementChild as HTMLElement | null;
    return Number.parseFloat(rows?.style.height ?? '0') || 0;
  },
});

// Scrolling as a browser does it: clamped to the content, and announced by a (later) scroll event,
// which is how the virtualizer learns where the view is.
const scrollTops = new WeakMap<Element, number>();
Object.defineProperty(Element.prototype, 'scrollTop', {
  configurable: true,
  get(this: Element) {
    return scrollTops.get(this) ?? 0;
  },
  set(this: HTMLElement, value: number) {
    const max = Math.max(0, this.scrollHeight - this.clientHeight);
    const next = Math.min(max, Math.max(0, Number(value) || 0));
    if (next === (scrollTops.get(this) ?? 0)) return;
    scrollTops.set(this, next);
    setTimeout(() => this.dispatchEvent(new Event('scroll')));
  },
});
