import { describe, expect, it } from 'vitest';
import type { EtcdCluster } from '../api/types.ts';
import { buildClientService, buildPeerService, LABEL_SERVICE } from '../cluster/pods.ts';
import { buildServiceMonitor, monitoringCondition, monitoringEvent } from './service-monitor.ts';

const cluster = (monitoring?: EtcdCluster['spec']['monitoring']): EtcdCluster => ({
  apiVersion: 'etcd.opsmith.io/v1alpha1',
  kind: 'EtcdCluster',
  metadata: { name: 'main', namespace: 'prod', uid: 'u-1' },
  spec: { size: 3, version: '3.4.23', ...(monitoring ? { monitoring } : {}) },
});

function matches(selector: Record<string, string>, labels: Record<string, string> = {}) {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

describe('ServiceMonitor', () => {
  const c = cluster({
    serviceMonitor: {
      enabled: true,
      labels: { release: 'prom', [LABEL_SERVICE]: 'ignored' },
      interval: '15s',
    },
  });
  const sm = buildServiceMonitor(c) as unknown as {
    metadata: { name: string; labels: Record<string, string>; ownerReferences: unknown[] };
    spec: {
      selector: { matchLabels: Record<string, string> };
      namespaceSelector: { matchNames: string[] };
      endpoints: Record<string, unknown>[];
    };
  };

  it("selects the client Service only, on the port that exposes etcd's metrics", () => {
    const client = buildClientService(c) as unknown as {
      metadata: { labels: Record<string, string> };
      spec: { ports: { name: string; port: number }[] };
    };
    const peer = buildPeerService(c) as unknown as { metadata: { labels: Record<string, string> } };
    expect(matches(sm.spec.selector.matchLabels, client.metadata.labels)).toBe(true);
    expect(matches(sm.spec.selector.matchLabels, peer.metadata.labels)).toBe(false);
    const port = sm.spec.endpoints[0]?.port;
    expect(client.spec.ports.find((p) => p.name === port)?.port).toBe(2381);
    expect(sm.spec.endpoints[0]).toMatchObject({
      path: '/metrics',
      scheme: 'http',
      interval: '15s',
    });
    expect(sm.spec.namespaceSelector.matchNames).toEqual(['prod']);
  });

  it('carries the user labels without letting them override the operator ones; owned', () => {
    expect(sm.metadata.labels.release).toBe('prom');
    expect(sm.metadata.labels[LABEL_SERVICE]).toBe('ignored'); // not a selector label here
    expect(sm.metadata.labels['app.kubernetes.io/managed-by']).toBe('etcd-operator');
    expect(sm.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'EtcdCluster', name: 'main', uid: 'u-1', controller: true }),
    ]);
    const override = buildServiceMonitor(
      cluster({ serviceMonitor: { enabled: true, labels: { 'app.kubernetes.io/instance': 'x' } } }),
    ) as unknown as { metadata: { labels: Record<string, string> } };
    expect(override.metadata.labels['app.kubernetes.io/instance']).toBe('main');
  });

  it('conditions: none while off, a clear message when the CRD is missing, errors reported', () => {
    expect(monitoringCondition({ type: 'disabled' })).toBeUndefined();
    expect(
      monitoringCondition({ type: 'unsupported', message: 'install the CRDs' }, 3),
    ).toMatchObject({
      type: 'Monitoring',
      status: 'False',
      reason: 'ServiceMonitorCRDMissing',
      message: 'install the CRDs',
      observedGeneration: 3,
    });
    expect(monitoringCondition({ type: 'applied', operation: 'created' })).toMatchObject({
      status: 'True',
      reason: 'ServiceMonitorReady',
    });
    expect(monitoringCondition(new Error('forbidden'))).toMatchObject({
      status: 'False',
      reason: 'ServiceMonitorFailed',
      message: expect.stringContaining('forbidden'),
    });
  });

  it('events for changes and failures only', () => {
    expect(monitoringEvent({ type: 'applied', operation: 'created' })).toMatchObject({
      type: 'Normal',
      reason: 'ServiceMonitorApplied',
    });
    expect(monitoringEvent({ type: 'applied', operation: 'unchanged' })).toBeUndefined();
    expect(monitoringEvent({ type: 'deleted' })).toMatchObject({ reason: 'ServiceMonitorDeleted' });
    expect(monitoringEvent({ type: 'disabled' })).toBeUndefined();
    expect(monitoringEvent({ type: 'unsupported', message: 'x' })).toBeUndefined();
    expect(monitoringEvent(new Error('forbidden'))).toMatchObject({
      type: 'Warning',
      note: expect.stringContaining('forbidden'),
    });
  });
});
