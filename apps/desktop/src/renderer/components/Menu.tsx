import { type KeyboardEvent, useEffect, useLayoutEffect, useRef, useState } from 'react';

export interface MenuItem {
  /** The accessible name (and the text, unless `content` is given). */
  label: string;
  onSelect: () => void;
  /** What shows instead of the label (an emoji). */
  content?: string;
  danger?: boolean;
  /** Shown as chosen (a reaction already mine; its label says so too). */
  checked?: boolean;
}

/** Menu items in groups: each group is a row (`row`) or a column, separated from the next. */
export interface MenuGroup {
  label?: string;
  row?: boolean;
  items: MenuItem[];
}

const ITEM = '[role="menuitem"]';

/**
 * A popup menu at a point (a right-click, or the control that opened it): focus moves to its first
 * item; the arrow keys, Home and End move between items (Left/Right too, for a row); Enter or
 * Space chooses; Escape, Tab or a click outside closes it, and focus goes back where it was.
 */
export function Menu({
  label,
  groups,
  at,
  onClose,
}: {
  label: string;
  groups: MenuGroup[];
  at: { x: number; y: number };
  onClose: () => void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;
  const [place, setPlace] = useState(at);

  // Kept inside the window.
  useLayoutEffect(() => {
    const box = ref.current?.getBoundingClientRect();
    if (!box) return;
    setPlace({
      x: Math.max(4, Math.min(at.x, window.innerWidth - box.width - 4)),
      y: Math.max(4, Math.min(at.y, window.innerHeight - box.height - 4)),
    });
  }, [at]);

  useEffect(() => {
    const returnFocus = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    ref.current?.querySelector<HTMLElement>(ITEM)?.focus();
    const outside = (event: PointerEvent) => {
      if (!ref.current?.contains(event.target as Node)) onCloseRef.current();
    };
    document.addEventListener('pointerdown', outside, true);
    return () => {
      document.removeEventListener('pointerdown', outside, true);
      if (returnFocus?.isConnected) returnFocus.focus();
    };
  }, []);

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const items = [...(ref.current?.querySelectorAll<HTMLElement>(ITEM) ?? [])];
    const at = items.indexOf(document.activeElement as HTMLElement);
    const move = (to: number) => {
      event.preventDefault();
      items[(to + items.length) % items.length]?.focus();
    };
    switch (event.key) {
      case 'ArrowDown':
      case 'ArrowRight':
        return move(at + 1);
      case 'ArrowUp':
      case 'ArrowLeft':
        return move(at - 1);
      case 'Home':
        return move(0);
      case 'End':
        return move(items.length - 1);
      case 'Escape':
      case 'Tab':
        event.preventDefault();
        event.stopPropagation();
        onCloseRef.current();
        return;
    }
  };

  return (
    <div
      ref={ref}
      role="menu"
      aria-label={label}
      className="menu"
      style={{ left: place.x, top: place.y }}
      tabIndex={-1}
      onKeyDown={onKeyDown}
    >
      {groups.map((group, g) => (
        // biome-ignore lint/a11y/useSemanticElements: a group of menu items, not a form fieldset
        <div
          key={group.label ?? g}
          role="group"
          aria-label={group.label}
          className={group.row ? 'menu-group row' : 'menu-group'}
        >
          {group.items.map((item) => (
            <button
              key={item.label}
              type="button"
              role="menuitem"
              aria-label={item.content ? item.label : undefined}
              title={item.content ? item.label : undefined}
              tabIndex={-1}
              className={`menu-item${item.danger ? ' danger' : ''}${item.checked ? ' checked' : ''}`}
              onClick={() => {
                onCloseRef.current();
                item.onSelect();
              }}
            >
              {item.content ?? item.label}
            </button>
          ))}
        </div>
      ))}
    </div>
  );
}
