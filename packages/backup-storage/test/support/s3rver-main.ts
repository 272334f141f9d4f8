// Runs s3rver in its own process so tests measure only their own memory and can kill it.
// usage: node s3rver-main.ts <dir> <bucket>...   prints "PORT <n>" when listening.
import S3rver from 's3rver';

const [dir, ...buckets] = process.argv.slice(2);
if (!dir) throw new Error('usage: s3rver-main.ts <dir> <bucket>...');
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  directory: dir,
  silent: true,
  configureBuckets: buckets.map((name) => ({ name, configs: [] })),
});
const addr = await server.run();
process.stdout.write(`PORT ${addr.port}\n`);
process.on('SIGTERM', () => {
  void server.close().finally(() => process.exit(0));
});
