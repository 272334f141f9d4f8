export { crdName } from './names.ts';
