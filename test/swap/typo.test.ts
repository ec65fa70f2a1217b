import { expect, test } from 'vitest';
import { swapNumbers } from '../../src/swap/swapNumbers';
import { parsePhone } from '../../src/swap/phone';

test('a stray + before a trunk 0 is a national number where the country is known, swapped as a person would dial it', () => {
  document.body.innerHTML = '<a id="fr" href="tel:+0169888888"> 01 69 88 88 88</a><p id="de">Mobil: +01579/2518524</p>';
  const fr = swapNumbers(document.body, { '01 69 88 88 88': '01 69 11 22 33' }, { country: 'FR' });
  expect([document.getElementById('fr')!.getAttribute('href'), document.getElementById('fr')!.textContent]).toEqual(['tel:0169112233', ' 01 69 11 22 33']);
  fr.restore();
  expect(document.getElementById('fr')!.getAttribute('href')).toBe('tel:+0169888888');
  swapNumbers(document.body, { '01579 2518524': '01579 2510000' }, { country: 'DE' });
  expect(document.getElementById('de')!.textContent).toBe('Mobil: 01579/2510000');
  // Read as the national number it is (config and click-to-call), not as a country code 016.
  expect(parsePhone('+0169888888', 'FR')).toEqual(parsePhone('01 69 88 88 88', 'FR'));
  expect(parsePhone('+0169888888', undefined, true)).toBeUndefined();
});
