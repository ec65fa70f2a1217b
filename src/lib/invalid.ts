let warns = false;
const said = new Set<string>();

/** One console warning per message, however often it comes. */
export const warnOnce = (message: string): void => {
  if (!said.has(message)) console.warn(message);
  said.add(message);
};

/**
 * Makes config errors warn instead of throw. Only the script-tag entry calls this: a webmaster's typo must not throw
 * into their page, while a developer using the npm API gets an exception at the line that caused it.
 */
export const warnInsteadOfThrow = (on = true): void => {
  warns = on;
};

/** The last config error reported (script-tag build): what `status().error` says when init refused its config. */
export let lastInvalid = '';

/** Reports a config error: throws a TypeError (npm API) or warns once (script-tag build). Returns `false` when it warned. */
export const invalid = (message: string): false => {
  lastInvalid = message = 'callswap: ' + message;
  if (!warns) throw new TypeError(message);
  warnOnce(message);
  return false;
};

/**
 * A setup mistake that changes nothing by itself (an unknown config field: a typo, or a newer field on an older
 * script): one console warning per message, in both builds, and never an exception.
 */
export const notice = (message: string): void => warnOnce('callswap: ' + message);

/**
 * Of `names`, the one closest to `name` by edit distance (case ignored): what a typo most likely meant. With
 * `within`, undefined unless it is at most that far.
 */
export const closest = (name: string, names: string[], within = 99): string | undefined => {
  let best: string | undefined;
  for (const candidate of names) {
    const b = candidate.toLowerCase();
    // One row of the edit-distance table at a time; `left` is the cell just written.
    let row = [...b, ''].map((_, j) => j);
    for (const x of name.toLowerCase()) {
      let left = row[0]! + 1;
      row = row.map((up, j) => (j ? (left = Math.min(up + 1, left + 1, row[j - 1]! + +(x != b[j - 1]))) : left));
    }
    if (row[b.length]! <= within) [best, within] = [candidate, row[b.length]! - 1];
  }
  return best;
};
