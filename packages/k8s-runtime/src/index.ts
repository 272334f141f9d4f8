export { objectKey, parseObjectKey } from './object-key.ts';
