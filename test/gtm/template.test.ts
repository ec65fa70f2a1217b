import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { init } from '../../src/init/init';
// @ts-expect-error plain JS shared with the browser tests
import { createSandbox, runTemplate } from './standins.js';

const src = (file: string) => readFileSync(join(process.cwd(), 'src/gtm', file), 'utf8');
const code = src('template.js');
const permissions = JSON.parse(src('permissions.json'));
const parameters = JSON.parse(src('parameters.json')) as { name: string; valueValidators?: { type: string; args?: string[] }[]; simpleTableColumns?: { name: string; valueValidators?: { type: string; args?: string[] }[] }[] }[];
const scenarios = JSON.parse(src('tests.json')) as { setup: string[]; scenarios: { name: string; code: string[] }[] };
const SCRIPT_URL = 'https://cdn.jsdelivr.net/npm/callswap@0.1.0/dist/callswap.min.js';

afterEach(() => {
  delete (window as { callswap?: unknown }).callswap;
  document.head.querySelectorAll('script').forEach((s) => s.remove());
});

/**
 * GTM's template test API (mock, runCode, assertApi, assertThat) over the stand-ins, so the scenarios in the
 * template's ___TESTS___ run here as they run in GTM's template editor.
 */
const runScenario = (body: string): void => {
  const sandbox = createSandbox({ permissions });
  const calls = new Map<string, unknown[][]>();
  const mocks = new Map<string, unknown>();
  const spy = (name: string, fn: (...args: unknown[]) => unknown) => (...args: unknown[]) => {
    calls.set(name, [...(calls.get(name) || []), args]);
    return fn(...args);
  };
  const requireFn = (name: string) => {
    const real = sandbox.require(name);
    const mocked = mocks.has(name) ? mocks.get(name) : real;
    return typeof mocked == 'function' ? spy(name, (...args) => (mocks.has(name) ? (mocks.get(name) as (...a: unknown[]) => unknown) : mocked as (...a: unknown[]) => unknown)(...args)) : mocked;
  };
  const api = {
    mock: (name: string, value: unknown) => mocks.set(name, typeof value == 'function' ? value : () => value),
    runCode: (data: Record<string, unknown>) =>
      runTemplate(code, requireFn, { ...data, gtmOnSuccess: spy('gtmOnSuccess', () => undefined), gtmOnFailure: spy('gtmOnFailure', () => undefined) }),
    assertApi: (name: string) => ({
      wasCalled: () => expect(calls.get(name)?.length, `${name} was not called`).toBeGreaterThan(0),
      wasNotCalled: () => expect(calls.get(name) || [], `${name} was called`).toEqual([]),
      wasCalledWith: (...args: unknown[]) => expect(calls.get(name) || []).toContainEqual(args),
    }),
    assertThat: (actual: unknown) => ({
      isEqualTo: (expected: unknown) => expect(JSON.parse(JSON.stringify(actual ?? null))).toEqual(JSON.parse(JSON.stringify(expected ?? null))),
      isTrue: () => expect(actual).toBe(true),
      isFalse: () => expect(actual).toBe(false),
    }),
    fail: (message: string) => expect.fail(message),
  };
  new Function(...Object.keys(api), body)(...Object.values(api));
};

describe('the template’s own ___TESTS___ scenarios', () => {
  test.each(scenarios.scenarios.map((s) => [s.name, s.code]))('%s', (_, lines) => {
    runScenario([...scenarios.setup, ...(lines)].join('\n'));
  });
});

describe('the sandboxed code against the stand-ins', () => {
  const data = (extra: Record<string, unknown> = {}) => {
    const outcome: string[] = [];
    return {
      outcome,
      data: {
        site: 'demo',
        endpoint: 'https://pool.example.com/v1',
        numbers: [{ number: '+31 20 123 4567' }, { number: '088 5454000' }],
        country: 'NL',
        requireConsent: true,
        gtmOnSuccess: () => outcome.push('success'),
        gtmOnFailure: () => outcome.push('failure'),
        ...extra,
      },
    };
  };

  test('creates the queue stub with the queued init, and injects exactly the pinned script', () => {
    const sandbox = createSandbox({ permissions, consent: { ad_storage: false } });
    runTemplate(code, sandbox.require, data().data);
    const global = (window as unknown as { callswap: { q: IArguments[] } }).callswap;
    expect(typeof global).toBe('function');
    expect(global.q.map((args) => Array.from(args))).toEqual([
      ['init', { site: 'demo', numbers: ['+31 20 123 4567', '088 5454000'], requireConsent: true, debug: false, endpoint: 'https://pool.example.com/v1', country: 'NL' }],
      ['consent', { ad_storage: 'denied' }],
    ]);
    expect([...document.head.querySelectorAll('script')].map((s) => s.src)).toEqual([SCRIPT_URL]);
  });

  test('a self-hosted script URL is injected instead of the CDN\'s, as its permissions allow; another file is refused', () => {
    const sandbox = createSandbox({ permissions });
    runTemplate(code, sandbox.require, data({ scriptUrl: 'https://www.example.com/assets/callswap.min.js' }).data);
    expect([...document.head.querySelectorAll('script')].map((s) => s.src)).toEqual(['https://www.example.com/assets/callswap.min.js']);
    document.head.innerHTML = '';
    const other = createSandbox({ permissions });
    expect(() => runTemplate(code, other.require, data({ scriptUrl: 'https://evil.example/steal.js' }).data)).toThrow(/Permission denied: inject_script/);
    const validator = parameters.find((p) => p.name == 'scriptUrl')!.valueValidators!.find((v) => v.type == 'REGEX')!;
    const pattern = new RegExp(validator.args![0]);
    expect(['', 'https://www.example.com/js/callswap.min.js'].map((u) => pattern.test(u))).toEqual([true, true]);
    expect(['http://www.example.com/callswap.min.js', 'https://www.example.com/x.js', 'https://x/callswap.min.js?v=1'].map((u) => pattern.test(u))).toEqual([false, false, false]);
  });

  test('the queued config is one the real init accepts', () => {
    const sandbox = createSandbox({ permissions });
    runTemplate(code, sandbox.require, data({ rules: '[{"pool": "emergency", "path": "/spoed*"}]', staticNumbers: [{ channel: 'paid_search', number: '+31 20 765 4321' }] }).data);
    const [, config] = Array.from((window as unknown as { callswap: { q: IArguments[] } }).callswap.q[0]);
    document.body.innerHTML = '<p>020 123 4567</p>';
    const instance = init({ ...(config as object), endpoint: undefined, requireConsent: false } as never);
    instance.destroy();
  });

  test('consent changes from Consent Mode are forwarded, as ad_storage alone (the SDK reads the other signals itself)', () => {
    const sandbox = createSandbox({ permissions, consent: { ad_storage: false } });
    runTemplate(code, sandbox.require, data().data);
    sandbox.setConsent('ad_storage', true);
    const queue = (window as unknown as { callswap: { q: IArguments[] } }).callswap.q.map((args) => Array.from(args));
    expect(queue.slice(1)).toEqual([
      ['consent', { ad_storage: 'denied' }],
      ['consent', { ad_storage: 'granted' }],
    ]);
  });

  test('an existing callswap (the script already loaded) receives the calls directly', () => {
    const received: unknown[][] = [];
    (window as unknown as { callswap: unknown }).callswap = (...args: unknown[]) => received.push(args);
    runTemplate(code, createSandbox({ permissions }).require, data({ requireConsent: false }).data);
    expect(received[0][0]).toBe('init');
  });

  test('the permissions are enforced: no other script, global or consent type', () => {
    const sandbox = createSandbox({ permissions });
    expect(() => sandbox.require('injectScript')('https://evil.example/x.js', () => undefined, () => undefined)).toThrow(/inject_script/);
    // Files called callswap.min.js over https only (the self-hosted Script URL): no http, no other name.
    expect(() => sandbox.require('injectScript')('http://www.example.com/callswap.min.js', () => undefined, () => undefined)).toThrow(/inject_script/);
    expect(() => sandbox.require('injectScript')('https://cdn.jsdelivr.net/npm/callswap@0.1.0/dist/callswap-debug.js', () => undefined, () => undefined)).toThrow(/inject_script/);
    expect(() => sandbox.require('createArgumentsQueue')('other', 'other.q')).toThrow(/access_globals/);
    expect(() => sandbox.require('isConsentGranted')('functionality_storage')).toThrow(/access_consent/);
    expect(() => sandbox.require('sendPixel')).toThrow(/Unknown/);
  });

  test('logs only in debug, as the logging permission allows', () => {
    const quiet = createSandbox({ permissions });
    runTemplate(code, quiet.require, data({ rules: 'not json' }).data);
    expect(quiet.logs).toEqual([]);
    const loud = createSandbox({ permissions, debug: true });
    const run = data({ rules: 'not json' });
    runTemplate(code, loud.require, run.data);
    expect(loud.logs).toEqual(['callswap: "Rules" is not a JSON array of rules']);
    expect(run.outcome).toEqual(['failure']);
  });
});

describe('parameter validation', () => {
  const validators = (name: string, column?: string) => {
    const parameter = parameters.find((p) => p.name == name)!;
    return (column ? parameter.simpleTableColumns!.find((c) => c.name == column)!.valueValidators : parameter.valueValidators) || [];
  };
  const accepts = (name: string, value: string, column?: string) =>
    validators(name, column).every((v) => (v.type == 'NON_EMPTY' ? value != '' : v.type == 'REGEX' ? new RegExp(v.args![0]).test(value) : true));

  test.each([
    ['site', 'demo', true],
    ['site', 'my.site-1', true],
    ['site', '', false],
    ['site', 'two words', false],
    ['endpoint', 'https://pool.example.com/v1', true],
    ['endpoint', '', true],
    ['endpoint', 'http://pool.example.com/v1', false],
    ['endpoint', 'javascript:alert(1)', false],
    ['country', 'NL', true],
    ['country', 'NLD', false],
  ])('%s = %j → %s', (name, value, ok) => {
    expect(accepts(name, value)).toBe(ok);
  });

  test.each([
    ['+31 20 123 4567', true],
    ['(555) 555-0123', true],
    ['', false],
    ['call us', false],
    ['<b>020</b>', false],
  ])('a site number %j → %s', (value, ok) => {
    expect(accepts('numbers', value, 'number')).toBe(ok);
  });

  test('the numbers table itself may not be empty', () => {
    expect(validators('numbers').map((v) => v.type)).toContain('NON_EMPTY');
  });
});
