// The seams between the parts of kube-sandbox. The server (src/server) consumes these; each part
// implements its own: patch (src/patch), schema (src/schema), built-in kinds (src/builtin), auth
// (src/auth). Controllers (src/controllers) and the node (src/node) use SandboxClient.
import type { StatusCause } from './errors.ts';
import type {
  GroupVersionResource,
  KubeObject,
  ManagedFieldsEntry,
  RequestAttributes,
  ResourceInfo,
  UserInfo,
  WatchEvent,
} from './types.ts';

/** An OpenAPI v3 schema as found in a CRD's openAPIV3Schema (JSONSchemaProps). */
export type JSONSchemaProps = Record<string, unknown>;

/** How patch/apply learn an object's structure: built-in kinds by GVK, custom resources by schema. */
export type TypeInfo =
  | { source: 'builtin'; group: string; version: string; kind: string }
  | { source: 'crd'; group: string; version: string; kind: string; schema: JSONSchemaProps };

// ---------------------------------------------------------------- patch (src/patch)
export interface PatchEngine {
  /** RFC 6902, including `test` (a failed test is a StatusError 422 naming the path). */
  jsonPatch(doc: KubeObject, ops: unknown): KubeObject;
  /** RFC 7386. */
  mergePatch(doc: KubeObject, patch: unknown): KubeObject;
  /** Strategic merge patch for built-in kinds (the server answers 415 for custom resources first). */
  strategicMergePatch(doc: KubeObject, patch: unknown, type: TypeInfo): KubeObject;
  /**
   * Server-side apply: merges `applied` into `live` (undefined on create) as `manager`, updating
   * metadata.managedFields. Throws StatusError 409 (reason Conflict, causes FieldManagerConflict)
   * when another manager owns a field with a different value and force is false.
   */
  apply(args: {
    live: KubeObject | undefined;
    applied: KubeObject;
    manager: string;
    force: boolean;
    type: TypeInfo;
    subresource?: string;
    now: string;
  }): KubeObject;
  /** managedFields after a non-apply write (create, update, patch) by `manager`. */
  recordUpdate(args: {
    old: KubeObject | undefined;
    updated: KubeObject;
    manager: string;
    type: TypeInfo;
    subresource?: string;
    now: string;
  }): ManagedFieldsEntry[];
}

// ---------------------------------------------------------------- schema (src/schema)
export interface CompiledSchema {
  /** Drops fields the schema does not declare (unless x-kubernetes-preserve-unknown-fields); returns their paths. */
  prune(obj: KubeObject): { object: KubeObject; unknownFields: string[] };
  /** Applies `default`s in place and returns the object. */
  applyDefaults(obj: KubeObject): KubeObject;
  /** Structural validation plus x-kubernetes-validations CEL rules (oldSelf when `old` is given). */
  validate(obj: KubeObject, old?: KubeObject): StatusCause[];
}

export interface SchemaEngine {
  /** Validates a CustomResourceDefinition object itself (structural schema, names, versions). */
  validateCrd(crd: KubeObject, old?: KubeObject): StatusCause[];
  compile(schema: JSONSchemaProps): CompiledSchema;
  /** OpenAPI v2 document (/openapi/v2) for everything served. */
  openApiV2(served: ServedResource[]): Record<string, unknown>;
  /** OpenAPI v3 index (/openapi/v3) and one group-version document (/openapi/v3/apis/<g>/<v>). */
  openApiV3Index(served: ServedResource[]): Record<string, unknown>;
  openApiV3GroupVersion(
    served: ServedResource[],
    group: string,
    version: string,
  ): Record<string, unknown> | undefined;
}

export interface ServedResource {
  info: ResourceInfo;
  /** Structural schema of custom resources; built-in kinds leave it undefined (the schema part knows them). */
  schema?: JSONSchemaProps;
}

// ---------------------------------------------------------------- built-in kinds (src/builtin)
export interface BuiltinKinds {
  /** Every built-in resource the server serves, with columns, field selectors, subresources, verbs. */
  resources(): ResourceInfo[];
  /** Defaults a new or updated object in place, as the real server's defaulting does. */
  applyDefaults(info: ResourceInfo, obj: KubeObject): void;
  /** Create (old undefined) or update validation, including immutable fields. */
  validate(info: ResourceInfo, obj: KubeObject, old?: KubeObject): StatusCause[];
}

// ---------------------------------------------------------------- auth (src/auth)
export interface Authenticator {
  /** Resolves a bearer token (admin token or service-account JWT) to a user; undefined = 401. */
  authenticate(token: string): Promise<UserInfo | undefined>;
  /** TokenRequest: signs a service-account token (optionally bound to a pod). */
  issueServiceAccountToken(args: {
    namespace: string;
    serviceAccountName: string;
    serviceAccountUid: string;
    audiences?: string[];
    expirationSeconds?: number;
    boundObject?: { kind: 'Pod' | 'Secret'; name: string; uid: string };
  }): Promise<{ token: string; expirationTimestamp: string }>;
}

export interface Authorizer {
  authorize(attrs: RequestAttributes): Promise<{ allowed: boolean; reason: string }>;
}

/** Read access to stored objects that auth needs (RBAC objects, service accounts, pods). */
export interface ObjectLookup {
  get(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    name: string,
  ): KubeObject | undefined;
  list(gvr: GroupVersionResource, namespace?: string): KubeObject[];
}

// ---------------------------------------------------------------- in-process client (server implements)
export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export interface WatchOptions extends ListOptions {
  /** Start after this resourceVersion; omitted = send ADDED for every current object first. */
  resourceVersion?: string;
}

export interface DeleteOptions {
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

/**
 * What the sandbox's own controllers and node agent use: the same admission, validation and
 * storage path as HTTP requests, without the network. Errors are StatusError.
 */
export interface SandboxClient {
  get(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    name: string,
  ): Promise<KubeObject | undefined>;
  list(
    gvr: GroupVersionResource,
    opts?: ListOptions,
  ): Promise<{ items: KubeObject[]; resourceVersion: string }>;
  /**
   * Events arrive asynchronously in commit order. A resourceVersion older than the history yields
   * one ERROR event (410 Expired). `onClose` runs when the server ends the watch (ERROR 410,
   * faults.closeWatches(), shutdown), never after stop().
   */
  watch(
    gvr: GroupVersionResource,
    opts: WatchOptions,
    onEvent: (event: WatchEvent) => void,
    onClose?: () => void,
  ): { stop(): void };
  create(
    gvr: GroupVersionResource,
    obj: KubeObject,
    opts?: { subresource?: string },
  ): Promise<KubeObject>;
  update(
    gvr: GroupVersionResource,
    obj: KubeObject,
    opts?: { subresource?: string },
  ): Promise<KubeObject>;
  patch(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    patch: unknown,
    opts?: { subresource?: string; fieldManager?: string; force?: boolean },
  ): Promise<KubeObject>;
  delete(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    name: string,
    opts?: DeleteOptions,
  ): Promise<KubeObject | undefined>;
}

// ---------------------------------------------------------------- in-process components (server implements)
/** What the node agent answers for GET pods/<name>/log. */
export interface PodLogRequest {
  namespace: string;
  pod: KubeObject;
  container: string;
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  limitBytes?: number;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
}

/**
 * Returns the log bytes (an async iterable so `follow` can stream). Throw a StatusError (e.g. 400
 * `container "x" in pod "y" is waiting to start: ContainerCreating`) when there is nothing to show.
 */
export type PodLogProvider = (req: PodLogRequest) => Promise<AsyncIterable<Uint8Array | string>>;

/** What the node runs for pods/exec (non-interactive: the whole output comes back at the end). */
export type PodExecProvider = (req: {
  namespace: string;
  pod: KubeObject;
  container: string;
  command: string[];
  /** stdin, when the client sent one (kubectl exec -i). */
  input?: Buffer;
}) => Promise<{ code: number; stdout: string | Buffer; stderr: string | Buffer }>;

/** Handed to each in-process component (controllers, node agent) when the sandbox starts. */
export interface SandboxComponentContext {
  client: SandboxClient;
  /** https URL of the API server. */
  server: string;
  dataDir: string;
  /** PEM of the cluster CA (what pods find at /var/run/secrets/kubernetes.io/serviceaccount/ca.crt). */
  caPem: string;
  /** PEM private key of the cluster CA, for components that issue their own certificates. */
  caKeyPem: string;
  /** The admin bearer token (system:masters). */
  adminToken: string;
  registerPodLogProvider(provider: PodLogProvider): void;
  /** Backs `kubectl exec` (WebSocket v5/v4.channel.k8s.io; no TTY). */
  registerPodExecProvider(provider: PodExecProvider): void;
  /**
   * Pods bound to a node are then deleted gracefully: DELETE only sets deletionTimestamp and the
   * node removes the pod (DELETE with gracePeriodSeconds=0) once its containers stopped.
   */
  enableGracefulPodDeletion(): void;
  /** Issues a service-account token (the token the node mounts into pods). */
  issueServiceAccountToken: Authenticator['issueServiceAccountToken'];
  /**
   * Adds an admin-only control endpoint at /sandbox/<path> (e.g. 'chaos/kill'). The handler gets
   * the decoded JSON body (undefined when empty) and the query; its result is sent as JSON (200).
   * Throw a StatusError for failures.
   */
  registerAdminRoute(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    handler: AdminRouteHandler,
  ): void;
}

export type AdminRouteHandler = (body: unknown, query: URLSearchParams) => Promise<unknown>;

export type SandboxComponent = (ctx: SandboxComponentContext) => Promise<{ stop(): Promise<void> }>;

/**
 * Optional extras an auth module may offer beyond Authenticator/Authorizer; the server uses them
 * when present (src/auth's createAuth returns all of them).
 */
export interface AuthExtras {
  reviewToken?(body: KubeObject): Promise<Record<string, unknown>>;
  subjectAccessReview?(args: {
    kind: 'SubjectAccessReview' | 'SelfSubjectAccessReview' | 'LocalSubjectAccessReview';
    body: KubeObject;
    requester: UserInfo;
    namespace?: string;
  }): Promise<Record<string, unknown>>;
  forbidden?(attrs: RequestAttributes, reason?: string): Error;
  selfSubjectRulesReview?(user: UserInfo, namespace: string): Record<string, unknown>;
  bootstrapRbacObjects?(): KubeObject[];
}
