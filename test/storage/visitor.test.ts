// The visitor id on its own: random, kept in localStorage (never a cookie), replaced when what is stored is not one
// of ours; forgetStorage deletes our keys only; blocked storage means no id.
import { afterEach, expect, test, vi } from 'vitest';
import { forgetStorage, getVisitor, VISITOR_KEY } from '../../src/storage/visitor';

afterEach(() => localStorage.clear());

test('made once, then kept; 22 url-safe characters; no cookie', () => {
  const id = getVisitor()!;
  expect(id).toMatch(/^[\w-]{22}$/);
  expect(getVisitor()).toBe(id);
  expect(localStorage.getItem(VISITOR_KEY)).toBe(id);
  expect(document.cookie).not.toContain(id);
  expect(getVisitor()).not.toBe(((localStorage.clear(), getVisitor())));
});

test('a stored value that is not an id of ours is replaced', () => {
  localStorage.setItem(VISITOR_KEY, '<script>');
  expect(getVisitor()).toMatch(/^[\w-]{22}$/);
});

test("forgetStorage deletes callswap's keys and leaves the page's", () => {
  localStorage.setItem('_callswap_lease:demo', '{}');
  localStorage.setItem('cart', '3');
  getVisitor();
  forgetStorage();
  expect(Object.keys(localStorage)).toEqual(['cart']);
});

test('blocked storage: no id, no exception', () => {
  const blocked = vi.spyOn(window, 'localStorage', 'get').mockImplementation(() => {
    throw new Error('SecurityError');
  });
  expect(getVisitor()).toBeUndefined();
  expect(() => forgetStorage()).not.toThrow();
  blocked.mockRestore();
});
