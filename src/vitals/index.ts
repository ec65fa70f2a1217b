export { reportVitals } from './reportVitals';
export type { VitalsTarget } from './reportVitals';
