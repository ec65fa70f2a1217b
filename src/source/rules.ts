import { invalid } from '../lib/invalid.js';
import type { Pattern, Rule, Source } from './types.js';

/** What a rule can look at besides the source. */
export interface RuleContext {
  source: Source;
  params: URLSearchParams;
  path: string;
  referrerHost: string;
}

type Test = (context: RuleContext) => boolean;

const FIELDS = ['channel', 'source', 'medium', 'campaign'] as const;

const escape = (s: string): string => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');

/** A Pattern as a RegExp: `~source` is a regular expression, any other string a whole-value `*` wildcard. */
const toRegExp = (pattern: Pattern): RegExp =>
  typeof pattern != 'string'
    ? pattern
    : pattern[0] == '~'
      ? new RegExp(pattern.slice(1), 'i')
      : new RegExp('^' + pattern.split('*').map(escape).join('.*') + '$', 'i');

const compileRule = (rule: Rule, index: number): [Test, string] | false => {
  const where = `rules[${index}]` + (rule && typeof rule.pool == 'string' ? ` ("${rule.pool}")` : '');
  if (!rule || typeof rule != 'object') return invalid(`${where} must be an object`);
  if (typeof rule.pool != 'string' || !rule.pool) return invalid(`${where}: "pool" must be a non-empty string`);
  const tests: Test[] = [];
  const pattern = (name: string, value: unknown): RegExp | false => {
    if (!(typeof value == 'string' || value instanceof RegExp)) {
      return invalid(`${where}: "${name}" must be a string pattern or a RegExp`);
    }
    try {
      return toRegExp(value);
    } catch {
      return invalid(`${where}: "${name}" is not a valid regular expression: ${value}`);
    }
  };
  for (const key of Object.keys(rule) as (keyof Rule)[]) {
    const value = rule[key];
    if (key == 'pool') continue;
    if (key == 'params') {
      if (!value || typeof value != 'object' || value instanceof RegExp) return invalid(`${where}: "params" must be an object`);
      for (const [name, expected] of Object.entries(value)) {
        if (typeof expected == 'boolean') {
          tests.push((c) => c.params.has(name) == expected);
        } else {
          const re = pattern(`params.${name}`, expected);
          if (!re) return false;
          tests.push((c) => c.params.has(name) && re.test(c.params.get(name)!));
        }
      }
    } else if (key == 'path' || key == 'referrer' || (FIELDS as readonly string[]).includes(key)) {
      const re = pattern(key, value);
      if (!re) return false;
      tests.push((c) =>
        re.test(key == 'path' ? c.path : key == 'referrer' ? c.referrerHost : (c.source[key as (typeof FIELDS)[number]] ?? '')),
      );
    } else {
      return invalid(`${where}: unknown condition "${key}"`);
    }
  }
  return [(c) => tests.every((test) => test(c)), rule.pool];
};

/**
 * Compiles custom rules into tests. An invalid rule throws a TypeError naming it (npm API), or is skipped after a
 * warning (script-tag build).
 */
export function compileRules(rules: Rule[] | undefined): [Test, string][] {
  if (rules == null) return [];
  if (!Array.isArray(rules)) return invalid('"rules" must be an array'), [];
  return rules.map(compileRule).filter((rule): rule is [Test, string] => !!rule);
}
