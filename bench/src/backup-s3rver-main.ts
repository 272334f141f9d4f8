// s3rver in a process of its own, so the benchmark's RSS figures are the backup's alone.
// usage: node backup-s3rver-main.ts <dir> <bucket>   prints "PORT <n>" once listening.
import S3rver from 's3rver';

const [directory, bucket] = process.argv.slice(2);
if (!directory || !bucket) throw new Error('usage: backup-s3rver-main.ts <dir> <bucket>');
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  directory,
  silent: true,
  configureBuckets: [{ name: bucket, configs: [] }],
});
const { port } = await server.run();
process.stdout.write(`PORT ${port}\n`);
process.once('SIGTERM', () => void server.close().finally(() => process.exit(0)));
