// Built-in kinds: the resource table, defaulting and validation the server applies to them.
import type { BuiltinKinds } from '../core/contracts.ts';
import { applyBuiltinDefaults } from './defaults.ts';
import { builtinResources } from './resources.ts';
import { validateBuiltin } from './validate.ts';

export { builtinResources, resourceKey } from './resources.ts';
export { humanDuration, shortHumanDuration, ageSince } from './duration.ts';
export { podRow } from './pod-status.ts';
export { applyBuiltinDefaults, defaultPodSpec, defaultPullPolicy } from './defaults.ts';
export { validateBuiltin } from './validate.ts';
export { selectorMatches } from './selectors.ts';
export { parseQuantity } from './quantity.ts';
export {
  isDns1123Label,
  isDns1123Subdomain,
  isDns1035Label,
  isQualifiedName,
  isValidLabelValue,
} from './names.ts';

export function createBuiltinKinds(): BuiltinKinds {
  const resources = builtinResources();
  return {
    resources: () => resources,
    applyDefaults: applyBuiltinDefaults,
    validate: validateBuiltin,
  };
}
