import type { TSchema } from 'typebox';
import { stringify } from 'yaml';
import { crdName } from './names.ts';
import { toStructural, type SchemaNode } from './structural.ts';
import { pruneDefaultValidate, type ValidationResult } from './validate.ts';

/** An instance of a custom resource with a typed spec and status. */
export interface CustomObject<Spec = unknown, Status = unknown> {
  apiVersion: string;
  kind: string;
  metadata: {
    name?: string;
    generateName?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
    deletionTimestamp?: string;
    creationTimestamp?: string;
    ownerReferences?: {
      apiVersion: string;
      kind: string;
      name: string;
      uid: string;
      controller?: boolean;
      blockOwnerDeletion?: boolean;
    }[];
    [key: string]: unknown;
  };
  spec: Spec;
  status?: Status;
}

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  priority?: number;
  format?: string;
}

export interface ScaleSubresource {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

export interface VersionDefinition {
  name: string;
  spec: TSchema;
  status?: TSchema;
  served?: boolean;
  deprecated?: boolean;
  deprecationWarning?: string;
  printerColumns?: PrinterColumn[];
  scale?: ScaleSubresource;
  /** CEL rules on the whole object (e.g. spec vs metadata). */
  validations?: { rule: string; message?: string; reason?: string; fieldPath?: string }[];
  /** Whether `spec` must be present (default true). */
  specRequired?: boolean;
}

/** Converts between one spoke version and the hub (the storage version). */
export interface SpokeConversion {
  toHub(obj: CustomObject): CustomObject;
  fromHub(obj: CustomObject): CustomObject;
}

export interface ResourceDefinition {
  group: string;
  kind: string;
  plural: string;
  singular?: string;
  listKind?: string;
  shortNames?: string[];
  categories?: string[];
  scope?: 'Namespaced' | 'Cluster';
  description?: string;
  versions: VersionDefinition[];
  /** The version persisted in etcd and used as the conversion hub. Default: the first version. */
  storageVersion?: string;
  /** Hub-and-spoke conversion functions, keyed by spoke version name. */
  conversions?: Record<string, SpokeConversion>;
}

/** A declared custom resource: types in TypeScript, CRD YAML, validation, docs and conversion from one place. */
export class CustomResource {
  readonly def: Required<Pick<ResourceDefinition, 'scope' | 'storageVersion'>> & ResourceDefinition;
  private readonly schemas = new Map<string, SchemaNode>();

  constructor(def: ResourceDefinition) {
    const storageVersion = def.storageVersion ?? def.versions[0]?.name;
    if (!storageVersion || !def.versions.some((v) => v.name === storageVersion))
      throw new Error(`${def.kind}: storage version ${storageVersion} is not among the versions`);
    const names = def.versions.map((v) => v.name);
    if (new Set(names).size !== names.length) throw new Error(`${def.kind}: duplicate versions`);
    for (const v of names)
      if (v !== storageVersion && names.length > 1 && !def.conversions?.[v])
        throw new Error(
          `${def.kind}: version ${v} needs a conversion to the hub ${storageVersion}`,
        );
    crdName(def.plural, def.group);
    this.def = { scope: 'Namespaced', ...def, storageVersion };
    const memo = new WeakMap<object, SchemaNode>();
    for (const v of def.versions) {
      const schema = this.buildSchema(v, memo);
      checkDefaults(schema, `${def.kind} ${v.name}`);
      this.schemas.set(v.name, schema);
    }
  }

  get name(): string {
    return crdName(this.def.plural, this.def.group);
  }

  get kind(): string {
    return this.def.kind;
  }

  get group(): string {
    return this.def.group;
  }

  get storageVersion(): string {
    return this.def.storageVersion;
  }

  apiVersion(version: string = this.storageVersion): string {
    this.version(version);
    return `${this.def.group}/${version}`;
  }

  /** `{ apiVersion, kind }` for the runtime client. */
  typeRef(version: string = this.storageVersion): { apiVersion: string; kind: string } {
    return { apiVersion: this.apiVersion(version), kind: this.def.kind };
  }

  /** What the runtime client needs to skip discovery: `client.register(res.resourceInfo())`. */
  resourceInfo(version: string = this.storageVersion) {
    return {
      ...this.typeRef(version),
      plural: this.def.plural,
      namespaced: this.def.scope === 'Namespaced',
    };
  }

  private version(name: string): VersionDefinition {
    const v = this.def.versions.find((x) => x.name === name);
    if (!v) throw new Error(`${this.def.kind}: unknown version ${name}`);
    return v;
  }

  private buildSchema(v: VersionDefinition, memo: WeakMap<object, SchemaNode>): SchemaNode {
    const properties: Record<string, SchemaNode> = {
      apiVersion: {
        type: 'string',
        description: 'APIVersion defines the versioned schema of this representation of an object.',
      },
      kind: {
        type: 'string',
        description:
          'Kind is a string value representing the REST resource this object represents.',
      },
      metadata: { type: 'object' },
      spec: toStructural(v.spec, memo, 'spec'),
    };
    if (v.status) properties.status = toStructural(v.status, memo, 'status');
    const root: SchemaNode = { type: 'object', properties };
    if (this.defDescription()) root.description = this.defDescription();
    if (v.specRequired ?? true) root.required = ['spec'];
    if (v.validations?.length) root['x-kubernetes-validations'] = v.validations;
    return root;
  }

  private defDescription(): string | undefined {
    return this.def.description;
  }

  /** The structural openAPIV3Schema of a version. */
  schema(version: string = this.storageVersion): SchemaNode {
    this.version(version);
    return this.schemas.get(version)!;
  }

  /** The apiextensions.k8s.io/v1 CustomResourceDefinition object. */
  crd(): Record<string, unknown> {
    const d = this.def;
    return {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: this.name },
      spec: {
        group: d.group,
        names: {
          kind: d.kind,
          listKind: d.listKind ?? `${d.kind}List`,
          plural: d.plural,
          singular: d.singular ?? d.kind.toLowerCase(),
          ...(d.shortNames?.length ? { shortNames: d.shortNames } : {}),
          ...(d.categories?.length ? { categories: d.categories } : {}),
        },
        scope: d.scope,
        versions: d.versions.map((v) => ({
          name: v.name,
          served: v.served ?? true,
          storage: v.name === d.storageVersion,
          ...(v.deprecated ? { deprecated: true } : {}),
          ...(v.deprecationWarning ? { deprecationWarning: v.deprecationWarning } : {}),
          schema: { openAPIV3Schema: structuredClone(this.schemas.get(v.name)) },
          ...(v.status || v.scale
            ? {
                subresources: {
                  ...(v.status ? { status: {} } : {}),
                  ...(v.scale ? { scale: v.scale } : {}),
                },
              }
            : {}),
          ...(v.printerColumns?.length ? { additionalPrinterColumns: v.printerColumns } : {}),
        })),
        // In-process hub/spoke conversion: every version shares the storage layout or is converted
        // by the operator; the API server only rewrites apiVersion.
        conversion: { strategy: 'None' },
      },
    };
  }

  crdYaml(): string {
    return `# Generated from TypeScript by packages/crd-schemas: do not edit.\n${stringify(this.crd(), { lineWidth: 0, aliasDuplicateObjects: false })}`;
  }

  /** Prune, default and validate like the API server would for this version. */
  validate<T = CustomObject>(obj: unknown, version?: string): ValidationResult<T> {
    const v =
      version ??
      (typeof (obj as { apiVersion?: string })?.apiVersion === 'string'
        ? (obj as { apiVersion: string }).apiVersion.split('/')[1]
        : this.storageVersion);
    return pruneDefaultValidate<T>(this.schema(v), obj);
  }

  /** Defaults and prunes; throws an error listing every invalid field. */
  parse<T = CustomObject>(obj: unknown, version?: string): T {
    const r = this.validate<T>(obj, version);
    if (!r.valid)
      throw new Error(
        `${this.def.kind} is invalid: ${r.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`,
      );
    return r.value;
  }

  /** Converts an object between versions through the hub (storage version). */
  convert<T extends CustomObject = CustomObject>(obj: CustomObject, toVersion: string): T {
    const from = obj.apiVersion.split('/')[1] ?? '';
    this.version(from);
    this.version(toVersion);
    if (from === toVersion) return structuredClone(obj) as T;
    const hub = this.storageVersion;
    let o = structuredClone(obj);
    if (from !== hub)
      o = { ...this.def.conversions![from].toHub(o), apiVersion: this.apiVersion(hub) };
    if (toVersion !== hub)
      o = {
        ...this.def.conversions![toVersion].fromHub(o),
        apiVersion: this.apiVersion(toVersion),
      };
    return o as T;
  }
}

/**
 * The API server refuses a CRD whose defaults are not valid and pruned as they stand (nested
 * defaults are NOT applied to a default first): e.g. `default: {}` on an object with a required
 * field. Fail at declaration, naming the field, instead of at `kubectl apply`.
 */
function checkDefaults(root: SchemaNode, where: string): void {
  const seen = new WeakSet<SchemaNode>();
  const visit = (s: SchemaNode, path: string) => {
    if (seen.has(s)) return;
    seen.add(s);
    if (s.default !== undefined) {
      const r = pruneDefaultValidate(s, s.default, { defaults: false, root: false });
      const problems = r.errors.map(
        (e) => `${e.field === '<root>' ? '' : e.field + ': '}${e.message}`,
      );
      if (JSON.stringify(r.value) !== JSON.stringify(s.default))
        problems.push('has fields the schema prunes');
      if (problems.length)
        throw new Error(`${where}: the default of ${path} is invalid: ${problems.join('; ')}`);
    }
    for (const [k, sub] of Object.entries(s.properties ?? {}))
      visit(sub, path ? `${path}.${k}` : k);
    if (s.items) visit(s.items, `${path}[]`);
    if (typeof s.additionalProperties === 'object') visit(s.additionalProperties, `${path}.*`);
  };
  visit(root, '');
}

export function defineCustomResource(def: ResourceDefinition): CustomResource {
  return new CustomResource(def);
}
