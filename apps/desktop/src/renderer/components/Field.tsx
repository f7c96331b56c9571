import { type InputHTMLAttributes, useId } from 'react';

/**
 * A labelled text input with its hint or, once there is one, its problem underneath (announced
 * through aria-describedby and aria-invalid, not only shown in red).
 */
export function Field({
  label,
  hint,
  problem,
  onValue,
  ...input
}: {
  label: string;
  hint?: string | undefined;
  problem?: string | undefined;
  onValue: (value: string) => void;
} & Omit<InputHTMLAttributes<HTMLInputElement>, 'onChange' | 'id'>) {
  const id = useId();
  const note = problem ?? hint;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        {...input}
        id={id}
        aria-invalid={problem ? true : undefined}
        aria-describedby={note ? `${id}-note` : undefined}
        onChange={(event) => onValue(event.target.value)}
      />
      {note ? (
        <span id={`${id}-note`} className={problem ? 'field-problem' : 'field-hint'}>
          {note}
        </span>
      ) : null}
    </div>
  );
}
