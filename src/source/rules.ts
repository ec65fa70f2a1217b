import { invalid } from '../lib/invalid.js';
import type { Rule, Source } from './types.js';

/** What rules test: the source's fields, the referrer host, the landing path, and the URL parameters. */
export type RuleContext = Omit<Source, 'referrer'> & { referrer: string; path: string; params: URLSearchParams };

type Test = (context: RuleContext) => boolean;

/**
 * A pattern as a test of a value: a RegExp as is, `"~source"` as a case-insensitive regular expression, any other
 * string as a case-insensitive `*` wildcard over the whole value. Throws for anything else.
 */
const toRegExp = (pattern: unknown): RegExp =>
  pattern instanceof RegExp
    ? pattern
    : RegExp((pattern as string)[0] == '~' ? (pattern as string).slice(1) : `^${(pattern as string).replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');

/** Compiles one rule; reports what is wrong with it by its index and pool name. */
const compile = (rule: Rule, index: number): [Test, string] | false => {
  const tests: Test[] = [];
  let key = 'pool';
  try {
    if (typeof rule.pool != 'string' || !rule.pool) throw 0;
    for ([key] of Object.entries(rule)) {
      const field = key as 'path';
      const value = rule[field];
      if (key == 'params') {
        if (typeof value != 'object') throw 0;
        for (const [param, expected] of Object.entries(rule.params!)) {
          key = 'params.' + param;
          const re = typeof expected == 'boolean' || toRegExp(expected);
          tests.push((c) => (re === true ? c.params.has(param) == expected : c.params.has(param) && re.test(c.params.get(param)!)));
        }
      } else if (/^(path|referrer|channel|source|medium|campaign)$/.test(key) && (typeof value == 'string' || value instanceof RegExp)) {
        const re = toRegExp(value);
        tests.push((c) => re.test(c[field] ?? ''));
      } else if (key != 'pool') throw 0;
    }
  } catch {
    return invalid(
      `rules[${index}]${typeof rule?.pool == 'string' ? ` ("${rule.pool}")` : ''}: "${key}" ` +
        (key == 'pool' ? 'must name a pool' : 'is not a condition with a "*" wildcard, a "~" regular expression or a RegExp'),
    );
  }
  return [(c) => tests.every((test) => test(c)), rule.pool];
};

/**
 * Compiles custom rules into tests. An invalid rule throws a TypeError naming it (npm API), or is skipped after a
 * warning (script-tag build).
 */
export const compileRules = (rules: Rule[] | undefined): [Test, string][] =>
  rules == null
    ? []
    : Array.isArray(rules)
      ? (rules.map(compile).filter(Boolean) as [Test, string][])
      : (invalid('"rules" must be an array'), []);
