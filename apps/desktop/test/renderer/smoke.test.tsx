// @vitest-environment happy-dom
import { render, screen } from '@testing-library/react';
import { expect, it } from 'vitest';

function Hello() {
  return <button type="button">Hi</button>;
}
it('renders', () => {
  render(<Hello />);
  expect(screen.getByRole('button', { name: 'Hi' })).toBeTruthy();
  expect(typeof window.matchMedia).toBe('function');
  expect(typeof ResizeObserver).toBe('function');
});
