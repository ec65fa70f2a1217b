let warn: ((message: string) => void) | undefined;

/**
 * Makes config errors warn instead of throw. Only the script-tag entry calls this: a webmaster's typo must not throw
 * into their page, while a developer using the npm API gets an exception at the line that caused it.
 */
export const warnInsteadOfThrow = (fn: (message: string) => void): void => {
  warn = fn;
};

/** Reports a config error: throws a TypeError (npm API) or warns (script-tag build). Returns `false` when it warned. */
export const invalid = (message: string): false => {
  message = 'callswap: ' + message;
  if (!warn) throw new TypeError(message);
  warn(message);
  return false;
};
