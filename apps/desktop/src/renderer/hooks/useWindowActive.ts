import { useEffect, useState } from 'react';

const isActive = () => document.visibilityState === 'visible' && document.hasFocus();

/** Whether the person can be looking at the window: it is visible and has the focus. */
export function useWindowActive(): boolean {
  const [active, setActive] = useState(isActive);
  useEffect(() => {
    const update = () => setActive(isActive());
    window.addEventListener('focus', update);
    window.addEventListener('blur', update);
    document.addEventListener('visibilitychange', update);
    return () => {
      window.removeEventListener('focus', update);
      window.removeEventListener('blur', update);
      document.removeEventListener('visibilitychange', update);
    };
  }, []);
  return active;
}
