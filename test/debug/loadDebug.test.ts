// The npm build's badge loader on its own: the badge comes as a chunk of its own, and its stop function takes it off.
import { expect, test } from 'vitest';
import { loadDebug } from '../../src/debug/loadDebug';
import { init } from '../../src/init/init';

test('loadDebug shows the badge from its own chunk and returns what removes it', async () => {
  document.body.innerHTML = '<p>Bel 020 123 4567</p>';
  const instance = init({ site: 'demo', numbers: ['+31 20 123 4567'] });
  const stop = await loadDebug(instance);
  expect(document.querySelector('[data-callswap-ignore][role=status]')?.textContent).toContain('callswap');
  stop!();
  expect(document.querySelector('[data-callswap-ignore][role=status]')).toBeNull();
  instance.destroy();
});
