// Streams a large backup (write + verifying read-back) in a process of its own and reports its
// RSS, so the figure is the driver's, not the test runner's.
// usage: node large-main.ts <endpoint> <bucket> <bytes>   prints one JSON line.
import { S3Storage, writeBackup } from '../../src/index.ts';
import { stamped } from './data.ts';
import { S3RVER_CREDENTIALS } from './processes.ts';

const [endpoint, bucket, bytes] = process.argv.slice(2);
if (!endpoint || !bucket || !bytes)
  throw new Error('usage: large-main.ts <endpoint> <bucket> <bytes>');
const st = new S3Storage({ bucket, endpoint, credentials: S3RVER_CREDENTIALS });
const source = { kind: 'EtcdCluster', name: 'big' };
// Warm up code paths so the baseline includes loaded modules, not data.
await writeBackup(st, stamped(16 * 1024 * 1024), { id: 'warmup', source, compression: 'none' });
const baseline = process.memoryUsage().rss;
let peak = baseline;
const sample = () => {
  peak = Math.max(peak, process.memoryUsage().rss);
};
const timer = setInterval(sample, 25);
const m = await writeBackup(st, stamped(Number(bytes)), {
  id: 'large',
  source,
  compression: 'none',
  onProgress: sample,
});
clearInterval(timer);
process.stdout.write(
  `${JSON.stringify({ baseline, peak, size: m.size, verified: m.verifiedAt !== undefined })}\n`,
);
