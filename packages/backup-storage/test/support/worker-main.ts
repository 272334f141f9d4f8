// A worker in its own process, so a test can SIGKILL it mid-job.
// usage: node worker-main.ts '<json: {redisPort, queueName, secrets}>'   prints "READY".
import { BackupWorker } from '../../src/index.ts';
import { testHandlers } from './handlers.ts';

const cfg = JSON.parse(process.argv[2] ?? '{}') as {
  redisPort: number;
  queueName: string;
  secrets: Record<string, Record<string, string>>;
};
const worker = new BackupWorker({
  connection: { host: '127.0.0.1', port: cfg.redisPort },
  queueName: cfg.queueName,
  handlers: testHandlers(cfg.secrets),
  concurrency: 1,
  lockDuration: 2000,
  stalledInterval: 1000,
  targetLockTtlMs: 3000,
  progressIntervalMs: 100,
});
await worker.worker.waitUntilReady();
process.stdout.write('READY\n');
process.on('SIGTERM', () => {
  void worker.close().finally(() => process.exit(0));
});
