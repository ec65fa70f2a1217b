import { createHmac } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Every file below `dir` (a path from the repository root), as `dir/…/name`. */
export const filesUnder = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => (statSync(`${dir}/${name}`).isDirectory() ? filesUnder(`${dir}/${name}`) : [`${dir}/${name}`]));

/** A fixture's HTML (paths from the repository root: happy-dom changes import.meta.url). */
export const fixtureHtml = (name: string): string => readFileSync(join(process.cwd(), 'test/fixtures', name), 'utf8');

/** Loads a fixture page into happy-dom's document. */
export const loadFixture = (name: string): void => {
  const parsed = new DOMParser().parseFromString(fixtureHtml(name), 'text/html');
  document.head.innerHTML = parsed.head.innerHTML;
  document.body.innerHTML = parsed.body.innerHTML;
};

/**
 * Twilio's signature of a webhook request, written from its documentation (not the server's code), for the tests that
 * play Twilio: the URL, then each parameter's name and value, names sorted; HMAC-SHA1 with the auth token, base64.
 */
export const twilioSign = (token: string, url: string, params: Record<string, string>): string =>
  createHmac('sha1', token)
    .update(url + Object.keys(params).sort().map((k) => k + params[k]).join(''))
    .digest('base64');
