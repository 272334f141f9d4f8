// Request classification like k8s.io/apiserver's RequestInfoFactory: which API path, verb,
// group/version/resource, namespace, name and subresource a URL + method names.

export interface RequestInfo {
  isResourceRequest: boolean;
  path: string;
  /** Kubernetes verb: get list watch create update patch delete deletecollection, or the lowercase HTTP method. */
  verb: string;
  apiPrefix?: 'api' | 'apis';
  apiGroup: string;
  apiVersion: string;
  namespace?: string;
  resource?: string;
  subresource?: string;
  name?: string;
  /** Path segments after the API prefix (for discovery routing). */
  parts: string[];
}

const METHOD_VERBS: Record<string, string> = {
  POST: 'create',
  GET: 'get',
  HEAD: 'get',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

export function parseRequestInfo(
  method: string,
  path: string,
  query: URLSearchParams,
): RequestInfo {
  const nonResource = (): RequestInfo => ({
    isResourceRequest: false,
    path,
    verb: method.toLowerCase(),
    apiGroup: '',
    apiVersion: '',
    parts: [],
  });
  const segments = path.split('/').filter((s) => s !== '');
  const prefix = segments[0];
  if (prefix !== 'api' && prefix !== 'apis') return nonResource();
  let parts = segments.slice(1).map(safeDecode);
  const info: RequestInfo = { ...nonResource(), apiPrefix: prefix, parts };
  if (prefix === 'apis') {
    if (parts.length < 3) return info; // discovery: /apis, /apis/g, /apis/g/v
    info.apiGroup = parts[0]!;
    info.apiVersion = parts[1]!;
    parts = parts.slice(2);
  } else {
    if (parts.length < 2) return info; // /api, /api/v1
    info.apiVersion = parts[0]!;
    parts = parts.slice(1);
  }
  info.isResourceRequest = true;
  let verb = METHOD_VERBS[method] ?? method.toLowerCase();
  if (parts[0] === 'watch') {
    verb = 'watch';
    parts = parts.slice(1);
  }
  if (parts[0] === 'namespaces' && parts.length >= 2) {
    // /namespaces/{ns}/{resource}...; /namespaces/{ns}[/status|/finalize] is the namespace itself.
    info.namespace = parts[1];
    if (parts.length > 2 && parts[2] !== 'status' && parts[2] !== 'finalize')
      parts = parts.slice(2);
  }
  if (parts.length >= 1) info.resource = parts[0];
  if (parts.length >= 2) info.name = parts[1];
  if (parts.length >= 3) info.subresource = parts[2];
  if (parts.length > 3) info.isResourceRequest = false;
  if (verb === 'get' && !info.name) verb = 'list';
  if (verb === 'list' && isTrue(query.get('watch'))) verb = 'watch';
  if (verb === 'delete' && !info.name) verb = 'deletecollection';
  info.verb = verb;
  return info;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function isTrue(v: string | null | undefined): boolean {
  return v === 'true' || v === '1';
}
