import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A fixture's HTML (paths from the repository root: happy-dom changes import.meta.url). */
export const fixtureHtml = (name: string): string => readFileSync(join(process.cwd(), 'test/fixtures', name), 'utf8');

/** Loads a fixture page into happy-dom's document. */
export const loadFixture = (name: string): void => {
  const parsed = new DOMParser().parseFromString(fixtureHtml(name), 'text/html');
  document.head.innerHTML = parsed.head.innerHTML;
  document.body.innerHTML = parsed.body.innerHTML;
};
