import { type KeyboardEvent, type ReactNode, useEffect, useId, useRef } from 'react';

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/**
 * A modal `<dialog>`, named by its title. Focus moves in on open (to the element marked
 * `data-autofocus`, else the first control), Tab cycles inside, Escape or a click on the backdrop
 * closes it, and focus returns to where it was.
 */
export function Dialog({
  title,
  onClose,
  children,
  className,
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  className?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const returnFocus = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!dialog.open) dialog.showModal();
    const first = dialog.querySelector<HTMLElement>('[data-autofocus]') ?? dialog.querySelector<HTMLElement>(FOCUSABLE);
    first?.focus();
    return () => {
      dialog.close();
      returnFocus?.focus();
    };
  }, []);

  const onKeyDown = (event: KeyboardEvent<HTMLDialogElement>) => {
    if (event.key === 'Escape') {
      // Handled here (not only by the browser's cancel) so a nested dialog closes alone.
      event.preventDefault();
      event.stopPropagation();
      onCloseRef.current();
      return;
    }
    if (event.key !== 'Tab' || !ref.current) return;
    const focusable = [...ref.current.querySelectorAll<HTMLElement>(FOCUSABLE)].filter(
      (el) => el.closest('dialog') === ref.current,
    );
    const first = focusable[0];
    const last = focusable.at(-1);
    if (!first || !last) return;
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  };

  return (
    <dialog
      ref={ref}
      aria-modal="true"
      aria-labelledby={titleId}
      className={className ? `dialog ${className}` : 'dialog'}
      onKeyDown={onKeyDown}
      onCancel={(event) => {
        event.preventDefault();
        onCloseRef.current();
      }}
      onClick={(event) => {
        // The dialog's own box is only reached through its backdrop: the content fills it.
        if (event.target === ref.current) onCloseRef.current();
      }}
    >
      <div className="dialog-body">
        <h2 id={titleId} className="dialog-title">
          {title}
        </h2>
        {children}
      </div>
    </dialog>
  );
}

/** "Are you sure?" for things that cannot be undone. Focus starts on Cancel. */
export function ConfirmDialog(props: {
  title: string;
  body: string;
  confirm: string;
  cancel: string;
  onConfirm: () => void | Promise<void>;
  onClose: () => void;
  /** Shown when the action failed; the dialog stays open. */
  problem?: string | null;
}) {
  return (
    <Dialog title={props.title} onClose={props.onClose} className="confirm">
      <p>{props.body}</p>
      {props.problem ? (
        <p role="alert" className="form-error">
          {props.problem}
        </p>
      ) : null}
      <div className="dialog-actions">
        <button type="button" data-autofocus onClick={props.onClose}>
          {props.cancel}
        </button>
        <button type="button" className="danger" onClick={() => void props.onConfirm()}>
          {props.confirm}
        </button>
      </div>
    </Dialog>
  );
}
