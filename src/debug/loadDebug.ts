import type { Instance } from '../init/init.js';

/** Loads the debug badge only when asked for: a separate chunk, so a normal page pays nothing for it. */
export const loadDebug = (instance: Instance): Promise<(() => void) | undefined> =>
  import('./showDebug.js').then((module) => module.showDebug(instance));
