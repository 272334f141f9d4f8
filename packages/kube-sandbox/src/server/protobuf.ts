// Decoding of Kubernetes protobuf request bodies (application/vnd.kubernetes.protobuf) for what
// kubectl's imperative commands send that way: `kubectl run`, `kubectl create namespace|configmap|
// secret|serviceaccount|token|deployment|job|cronjob|service`, `kubectl expose`, `kubectl auth
// can-i|whoami`, `kubectl drain` (Eviction). Field numbers follow k8s.io/api's generated.proto; only
// the fields those commands set are known (others are skipped). Other kinds answer 415 naming the
// way out (send JSON or YAML).
import { StatusError } from '../core/errors.ts';

type FieldKind =
  | 'string'
  | 'bytes'
  | 'int'
  | 'bool'
  | 'time'
  | 'map'
  | 'mapBytes'
  | 'mapQuantity'
  | 'intOrString'
  | Schema;
/** keep: a pointer field in Go, where a zero value is meaningful (it is not "unset"). */
type Field = [name: string, kind: FieldKind, repeated?: boolean, keep?: 'keep'];
interface Schema {
  [field: number]: Field;
}

const TIME: FieldKind = 'time';
const OWNER_REF: Schema = {
  1: ['kind', 'string'],
  3: ['name', 'string'],
  4: ['uid', 'string'],
  5: ['apiVersion', 'string'],
  6: ['controller', 'bool'],
  7: ['blockOwnerDeletion', 'bool'],
};
const OBJECT_META: Schema = {
  1: ['name', 'string'],
  2: ['generateName', 'string'],
  3: ['namespace', 'string'],
  5: ['uid', 'string'],
  6: ['resourceVersion', 'string'],
  7: ['generation', 'int'],
  8: ['creationTimestamp', TIME],
  9: ['deletionTimestamp', TIME],
  10: ['deletionGracePeriodSeconds', 'int'],
  11: ['labels', 'map'],
  12: ['annotations', 'map'],
  13: ['ownerReferences', OWNER_REF, true],
  14: ['finalizers', 'string', true],
};
const OBJECT_REF: Schema = {
  1: ['kind', 'string'],
  2: ['namespace', 'string'],
  3: ['name', 'string'],
  4: ['uid', 'string'],
  5: ['apiVersion', 'string'],
  6: ['resourceVersion', 'string'],
  7: ['fieldPath', 'string'],
};
const RESOURCE_ATTRIBUTES: Schema = {
  1: ['namespace', 'string'],
  2: ['verb', 'string'],
  3: ['group', 'string'],
  4: ['version', 'string'],
  5: ['resource', 'string'],
  6: ['subresource', 'string'],
  7: ['name', 'string'],
};
const NON_RESOURCE_ATTRIBUTES: Schema = { 1: ['path', 'string'], 2: ['verb', 'string'] };
const DELETE_OPTIONS: Schema = {
  1: ['gracePeriodSeconds', 'int', false, 'keep'],
  2: ['preconditions', { 1: ['uid', 'string'], 2: ['resourceVersion', 'string'] }],
  3: ['orphanDependents', 'bool', false, 'keep'],
  4: ['propagationPolicy', 'string', false, 'keep'],
  5: ['dryRun', 'string', true],
};

const LABEL_SELECTOR: Schema = {
  1: ['matchLabels', 'map'],
  2: [
    'matchExpressions',
    { 1: ['key', 'string'], 2: ['operator', 'string'], 3: ['values', 'string', true] },
    true,
  ],
};
const CONTAINER: Schema = {
  1: ['name', 'string'],
  2: ['image', 'string'],
  3: ['command', 'string', true],
  4: ['args', 'string', true],
  5: ['workingDir', 'string'],
  6: [
    'ports',
    {
      1: ['name', 'string'],
      2: ['hostPort', 'int'],
      3: ['containerPort', 'int'],
      4: ['protocol', 'string'],
      5: ['hostIP', 'string'],
    },
    true,
  ],
  7: ['env', { 1: ['name', 'string'], 2: ['value', 'string'] }, true],
  8: ['resources', { 1: ['limits', 'mapQuantity'], 2: ['requests', 'mapQuantity'] }],
  14: ['imagePullPolicy', 'string'],
  16: ['stdin', 'bool'],
  17: ['stdinOnce', 'bool'],
  18: ['tty', 'bool'],
};
const POD_SPEC: Schema = {
  2: ['containers', CONTAINER, true],
  3: ['restartPolicy', 'string'],
  4: ['terminationGracePeriodSeconds', 'int', false, 'keep'],
  6: ['dnsPolicy', 'string'],
  7: ['nodeSelector', 'map'],
  8: ['serviceAccountName', 'string'],
  10: ['nodeName', 'string'],
  19: ['schedulerName', 'string'],
  20: ['initContainers', CONTAINER, true],
};
const POD_TEMPLATE: Schema = { 1: ['metadata', OBJECT_META], 2: ['spec', POD_SPEC] };
const JOB_SPEC: Schema = {
  1: ['parallelism', 'int', false, 'keep'],
  2: ['completions', 'int', false, 'keep'],
  3: ['activeDeadlineSeconds', 'int', false, 'keep'],
  4: ['selector', LABEL_SELECTOR],
  5: ['manualSelector', 'bool', false, 'keep'],
  6: ['template', POD_TEMPLATE],
  7: ['backoffLimit', 'int', false, 'keep'],
  8: ['ttlSecondsAfterFinished', 'int', false, 'keep'],
  9: ['completionMode', 'string', false, 'keep'],
  10: ['suspend', 'bool', false, 'keep'],
};
const SERVICE_SPEC: Schema = {
  1: [
    'ports',
    {
      1: ['name', 'string'],
      2: ['protocol', 'string'],
      3: ['port', 'int'],
      4: ['targetPort', 'intOrString'],
      5: ['nodePort', 'int'],
    },
    true,
  ],
  2: ['selector', 'map'],
  3: ['clusterIP', 'string'],
  4: ['type', 'string'],
  5: ['externalIPs', 'string', true],
  7: ['sessionAffinity', 'string'],
  10: ['externalName', 'string'],
};

const KINDS: Record<string, Schema> = {
  'v1/Pod': { 1: ['metadata', OBJECT_META], 2: ['spec', POD_SPEC] },
  'v1/Service': { 1: ['metadata', OBJECT_META], 2: ['spec', SERVICE_SPEC] },
  'apps/v1/Deployment': {
    1: ['metadata', OBJECT_META],
    2: [
      'spec',
      {
        1: ['replicas', 'int', false, 'keep'],
        2: ['selector', LABEL_SELECTOR],
        3: ['template', POD_TEMPLATE],
        5: ['minReadySeconds', 'int'],
        6: ['revisionHistoryLimit', 'int', false, 'keep'],
        7: ['paused', 'bool'],
        9: ['progressDeadlineSeconds', 'int', false, 'keep'],
      },
    ],
  },
  'batch/v1/Job': { 1: ['metadata', OBJECT_META], 2: ['spec', JOB_SPEC] },
  'batch/v1/CronJob': {
    1: ['metadata', OBJECT_META],
    2: [
      'spec',
      {
        1: ['schedule', 'string'],
        2: ['startingDeadlineSeconds', 'int', false, 'keep'],
        3: ['concurrencyPolicy', 'string'],
        4: ['suspend', 'bool', false, 'keep'],
        5: ['jobTemplate', { 1: ['metadata', OBJECT_META], 2: ['spec', JOB_SPEC] }],
        6: ['successfulJobsHistoryLimit', 'int', false, 'keep'],
        7: ['failedJobsHistoryLimit', 'int', false, 'keep'],
        8: ['timeZone', 'string', false, 'keep'],
      },
    ],
  },
  'v1/Namespace': {
    1: ['metadata', OBJECT_META],
    2: ['spec', { 1: ['finalizers', 'string', true] }],
  },
  'v1/ConfigMap': {
    1: ['metadata', OBJECT_META],
    2: ['data', 'map'],
    3: ['binaryData', 'mapBytes'],
    4: ['immutable', 'bool', false, 'keep'],
  },
  'v1/Secret': {
    1: ['metadata', OBJECT_META],
    2: ['data', 'mapBytes'],
    3: ['type', 'string'],
    4: ['stringData', 'map'],
    5: ['immutable', 'bool', false, 'keep'],
  },
  'v1/ServiceAccount': {
    1: ['metadata', OBJECT_META],
    2: ['secrets', OBJECT_REF, true],
    3: ['imagePullSecrets', { 1: ['name', 'string'] }, true],
    4: ['automountServiceAccountToken', 'bool', false, 'keep'],
  },
  'authentication.k8s.io/v1/TokenRequest': {
    1: ['metadata', OBJECT_META],
    2: [
      'spec',
      {
        1: ['audiences', 'string', true],
        3: [
          'boundObjectRef',
          {
            1: ['kind', 'string'],
            2: ['apiVersion', 'string'],
            3: ['name', 'string'],
            4: ['uid', 'string'],
          },
        ],
        4: ['expirationSeconds', 'int', false, 'keep'],
      },
    ],
  },
  'authentication.k8s.io/v1/TokenReview': {
    1: ['metadata', OBJECT_META],
    2: ['spec', { 1: ['token', 'string'], 2: ['audiences', 'string', true] }],
  },
  'authentication.k8s.io/v1/SelfSubjectReview': { 1: ['metadata', OBJECT_META] },
  'authorization.k8s.io/v1/SelfSubjectAccessReview': {
    1: ['metadata', OBJECT_META],
    2: [
      'spec',
      {
        1: ['resourceAttributes', RESOURCE_ATTRIBUTES],
        2: ['nonResourceAttributes', NON_RESOURCE_ATTRIBUTES],
      },
    ],
  },
  'authorization.k8s.io/v1/SelfSubjectRulesReview': {
    1: ['metadata', OBJECT_META],
    2: ['spec', { 1: ['namespace', 'string'] }],
  },
  'authorization.k8s.io/v1/SubjectAccessReview': {
    1: ['metadata', OBJECT_META],
    2: [
      'spec',
      {
        1: ['resourceAttributes', RESOURCE_ATTRIBUTES],
        2: ['nonResourceAttributes', NON_RESOURCE_ATTRIBUTES],
        3: ['user', 'string'],
        4: ['groups', 'string', true],
        6: ['uid', 'string'],
      },
    ],
  },
  'policy/v1/Eviction': { 1: ['metadata', OBJECT_META], 2: ['deleteOptions', DELETE_OPTIONS] },
  'meta.k8s.io/v1/DeleteOptions': DELETE_OPTIONS,
  'v1/DeleteOptions': DELETE_OPTIONS,
};

function isZero(v: unknown): boolean {
  return v === '' || v === 0 || v === false;
}

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

class Reader {
  pos = 0;
  readonly buf: Buffer;
  readonly end: number;
  constructor(buf: Buffer, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }
  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
    throw new Error('varint too long');
  }
  bytes(): Buffer {
    const len = this.varint();
    if (this.pos + len > this.end) throw new Error('truncated field');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 2) this.bytes();
    else if (wireType === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wireType}`);
  }
}

function decodeMessage(buf: Buffer, schema: Schema): Record<string, unknown> {
  const r = new Reader(buf);
  const out: Record<string, unknown> = {};
  while (r.pos < r.end) {
    const tag = r.varint();
    const num = Math.floor(tag / 8);
    const wire = tag & 7;
    const field = schema[num];
    if (!field) {
      r.skip(wire);
      continue;
    }
    const [name, kind, repeated, keep] = field;
    let value: unknown;
    switch (kind) {
      case 'string':
        value = r.bytes().toString('utf8');
        break;
      case 'bytes':
        value = r.bytes().toString('base64');
        break;
      case 'int': {
        const v = r.varint();
        value = v >= 2 ** 63 ? v - 2 ** 64 : v;
        break;
      }
      case 'bool':
        value = r.varint() !== 0;
        break;
      case 'intOrString': {
        const v = decodeMessage(r.bytes(), {
          1: ['type', 'int'],
          2: ['intVal', 'int'],
          3: ['strVal', 'string'],
        });
        value = v.type === 1 ? (v.strVal ?? '') : (v.intVal ?? 0);
        break;
      }
      case 'time': {
        const t = decodeMessage(r.bytes(), { 1: ['seconds', 'int'], 2: ['nanos', 'int'] });
        // A zero time is sent as an empty message; JSON shows it as null (e.g. in pod templates).
        const seconds = t.seconds === undefined ? undefined : Number(t.seconds);
        value =
          seconds === undefined || seconds < 0
            ? null
            : new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
        break;
      }
      case 'map':
      case 'mapBytes':
      case 'mapQuantity': {
        const entry = decodeMessage(r.bytes(), {
          1: ['key', 'string'],
          2: [
            'value',
            kind === 'map' ? 'string' : kind === 'mapBytes' ? 'bytes' : { 1: ['string', 'string'] },
          ],
        });
        if (kind === 'mapQuantity')
          entry.value = (entry.value as { string?: string } | undefined)?.string ?? '0';
        const map = (out[name] ??= {}) as Record<string, unknown>;
        map[String(entry.key ?? '')] = entry.value ?? '';
        continue;
      }
      default:
        value = decodeMessage(r.bytes(), kind);
    }
    if (repeated) ((out[name] ??= []) as unknown[]).push(value);
    // Go's protobuf writes zero values of non-pointer fields; JSON would omit them.
    else if (keep || !isZero(value)) out[name] = value;
  }
  return out;
}

/** Decodes a k8s protobuf envelope into the JSON object it stands for. */
export function decodeKubeProtobuf(buf: Buffer): Record<string, unknown> {
  if (buf.length < 4 || !buf.subarray(0, 4).equals(MAGIC)) {
    throw new StatusError(
      400,
      'BadRequest',
      'protobuf body does not start with the Kubernetes magic prefix',
    );
  }
  let apiVersion = '';
  let kind = '';
  let raw: Buffer;
  try {
    const unknown = decodeMessage(buf.subarray(4), {
      1: ['typeMeta', { 1: ['apiVersion', 'string'], 2: ['kind', 'string'] }],
      2: ['raw', 'bytes'],
    });
    const typeMeta = (unknown.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
    apiVersion = typeMeta.apiVersion ?? '';
    kind = typeMeta.kind ?? '';
    raw = Buffer.from(String(unknown.raw ?? ''), 'base64');
  } catch (err) {
    throw new StatusError(400, 'BadRequest', `invalid protobuf body: ${(err as Error).message}`);
  }
  const schema = KINDS[`${apiVersion}/${kind}`];
  if (!schema) {
    throw new StatusError(
      415,
      'UnsupportedMediaType',
      `kube-sandbox decodes protobuf bodies only for ${Object.keys(KINDS).join(', ')}; got ${apiVersion} ${kind}. Send JSON or YAML instead (e.g. \`kubectl create -f\` or \`kubectl apply -f\`)`,
    );
  }
  try {
    return { apiVersion, kind, ...decodeMessage(raw, schema) };
  } catch (err) {
    throw new StatusError(
      400,
      'BadRequest',
      `invalid protobuf body for ${kind}: ${(err as Error).message}`,
    );
  }
}
