import { invalid } from '../lib/invalid.js';
import type { Rule, Source } from './types.js';

/** What a rule can look at besides the source. */
export interface RuleContext {
  source: Source;
  params: URLSearchParams;
  path: string;
  referrer: string;
}

type Test = (context: RuleContext) => boolean;

/**
 * A pattern as a RegExp: a RegExp as is, `~source` as a case-insensitive regular expression, any other string as a
 * whole-value `*` wildcard. Undefined for anything else or an invalid expression.
 */
const toRegExp = (pattern: unknown): RegExp | undefined => {
  try {
    return pattern instanceof RegExp
      ? pattern
      : typeof pattern == 'string'
        ? RegExp(pattern[0] == '~' ? pattern.slice(1) : `^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i')
        : undefined;
  } catch {
    return;
  }
};

/** Compiles one rule; reports what is wrong with it by its index and pool name. */
const compile = (rule: Rule, index: number): [Test, string] | false => {
  const pool = rule?.pool;
  const name = `rules[${index}]` + (typeof pool == 'string' ? ` ("${pool}")` : '');
  if (typeof pool != 'string' || !pool) return invalid(name + ' needs a "pool" name');
  const tests: Test[] = [];
  const add = (key: string, value: unknown, read: (c: RuleContext) => string | null | undefined): boolean => {
    const re = toRegExp(value);
    if (typeof value == 'boolean' && key.startsWith('params.')) tests.push((c) => (read(c) != null) == value);
    else if (re) tests.push((c) => re.test(read(c) ?? ''));
    else return invalid(`${name}: "${key}" must be a "*" wildcard string, a "~" regular expression or a RegExp`);
    return true;
  };
  for (const [key, value] of Object.entries(rule)) {
    if (key == 'params' && value && typeof value == 'object') {
      for (const [param, expected] of Object.entries(value)) {
        if (!add(`params.${param}`, expected, (c) => c.params.get(param))) return false;
      }
    } else if (/^(path|referrer)$/.test(key)) {
      if (!add(key, value, (c) => c[key as 'path'])) return false;
    } else if (/^(channel|source|medium|campaign)$/.test(key)) {
      if (!add(key, value, (c) => c.source[key as 'source'])) return false;
    } else if (key != 'pool') {
      return invalid(`${name}: "${key}" is not a condition (params, referrer, path, channel, source, medium, campaign)`);
    }
  }
  return [(c) => tests.every((test) => test(c)), pool];
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
