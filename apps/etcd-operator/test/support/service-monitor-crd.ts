// A stand-in for the Prometheus operator's ServiceMonitor CRD (monitoring.coreos.com/v1), enough
// for the API server to serve the kind: tests install it to play "Prometheus operator present".
import type { KubeObject } from '@opsmith/k8s-runtime';

export function serviceMonitorCrd(): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'servicemonitors.monitoring.coreos.com' },
    spec: {
      group: 'monitoring.coreos.com',
      scope: 'Namespaced',
      names: {
        plural: 'servicemonitors',
        singular: 'servicemonitor',
        kind: 'ServiceMonitor',
        listKind: 'ServiceMonitorList',
        categories: ['prometheus-operator'],
        shortNames: ['smon'],
      },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  required: ['selector', 'endpoints'],
                  properties: {
                    selector: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                    namespaceSelector: {
                      type: 'object',
                      properties: { matchNames: { type: 'array', items: { type: 'string' } } },
                    },
                    endpoints: {
                      type: 'array',
                      items: {
                        type: 'object',
                        properties: {
                          port: { type: 'string' },
                          path: { type: 'string' },
                          scheme: { type: 'string', enum: ['http', 'https'] },
                          interval: { type: 'string' },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      ],
    },
  } as KubeObject;
}
