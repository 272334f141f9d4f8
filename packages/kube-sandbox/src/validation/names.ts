// Name rules as the API server applies them; the implementation lives with the built-in kinds.
export {
  isDns1123Label as validateDns1123Label,
  isDns1123Subdomain as validateDns1123Subdomain,
} from '../builtin/names.ts';
