export { reportVitals } from './reportVitals.js';
export type { VitalsTarget } from './reportVitals.js';
