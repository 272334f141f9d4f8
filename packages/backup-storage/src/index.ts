export { parseLocation, type Location } from './location.ts';
