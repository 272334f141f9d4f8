export { validateDns1123Subdomain, validateDns1123Label } from './validation/names.ts';
