import type { CrdBundle } from '../generate.ts';
import { etcdResources } from './etcd/index.ts';

/**
 * The CRDs of this repository's operators, one bundle per app. Adding an operator's CRDs is one
 * line here: `{ app: 'etcd-operator', resources: [etcdCluster, etcdBackup] }`, with the
 * resources declared in ./<app>/ using defineCustomResource. `node scripts/generate.mjs` then
 * writes charts/<app>/crds/*.yaml and docs/api/*.md.
 */
export const crdBundles: CrdBundle[] = [{ app: 'etcd-operator', resources: etcdResources }];
