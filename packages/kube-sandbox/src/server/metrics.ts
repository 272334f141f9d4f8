// A small /metrics endpoint in the Prometheus text format with the API server series monitoring
// setups look at first: request counts by verb/resource/code, stored objects per resource, and
// open watches.
import type { ObjectStore } from '../store/store.ts';

const METHOD_VERBS: Record<string, string> = {
  get: 'GET',
  list: 'LIST',
  watch: 'WATCH',
  create: 'POST',
  update: 'PUT',
  patch: 'PATCH',
  delete: 'DELETE',
  deletecollection: 'DELETE',
};

function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export class ApiMetrics {
  private readonly requests = new Map<string, number>();
  watches = 0;

  countRequest(args: {
    verb: string;
    group: string;
    version: string;
    resource: string;
    subresource: string;
    scope: string;
    code: number;
  }): void {
    const key = [
      `code="${args.code}"`,
      `component="apiserver"`,
      `group="${label(args.group)}"`,
      `resource="${label(args.resource)}"`,
      `scope="${args.scope}"`,
      `subresource="${label(args.subresource)}"`,
      `verb="${METHOD_VERBS[args.verb] ?? args.verb.toUpperCase()}"`,
      `version="${label(args.version)}"`,
    ].join(',');
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
  }

  render(store: ObjectStore): string {
    const lines: string[] = [
      '# HELP apiserver_request_total Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.',
      '# TYPE apiserver_request_total counter',
    ];
    for (const [key, n] of this.requests) lines.push(`apiserver_request_total{${key}} ${n}`);
    lines.push(
      '# HELP apiserver_storage_objects Number of stored objects at the time of last check split by kind.',
      '# TYPE apiserver_storage_objects gauge',
    );
    for (const gr of store.groupResources().sort()) {
      const [group, resource] = gr.split('/') as [string, string];
      lines.push(
        `apiserver_storage_objects{resource="${label(group ? `${resource}.${group}` : resource)}"} ${store.count(gr)}`,
      );
    }
    lines.push(
      '# HELP apiserver_longrunning_requests Gauge of all active long-running apiserver requests.',
      '# TYPE apiserver_longrunning_requests gauge',
      `apiserver_longrunning_requests{component="apiserver",verb="WATCH"} ${this.watches}`,
    );
    return lines.join('\n') + '\n';
  }
}
