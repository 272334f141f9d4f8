// Started by lifecycle.test.ts as a separate process that gets SIGKILLed: a sandbox with a node and
// one running pod. Prints `READY {"pid":..,"index":..}` once the pod's process runs.
import { prepareNode, type NodeHandle } from '../../src/node/index.ts';
import { startSandbox } from '../../src/sandbox.ts';

const dataDir = process.argv[2] ?? '';
let node: NodeHandle | undefined;
const prepared = await prepareNode({ dataDir }, (n: NodeHandle) => (node = n));
const sb = await startSandbox({
  dataDir,
  port: 0,
  extraSANs: prepared.extraSANs,
  components: [prepared.component],
});
await sb.client.create(
  { group: '', version: 'v1', resource: 'pods' },
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'orphan', namespace: 'default' },
    spec: {
      automountServiceAccountToken: false,
      containers: [{ name: 'c', image: 'busybox', command: ['sleep', '300'] }],
    },
  },
);
for (;;) {
  const pid = node?.podInfo('default', 'orphan')?.pids[0];
  if (pid) {
    process.stdout.write(`READY ${JSON.stringify({ pid, index: node?.network.index })}\n`);
    break;
  }
  await new Promise((r) => setTimeout(r, 100));
}
await new Promise(() => undefined);
