// s3rver in its own process for the backup e2e tests. usage: node s3rver-main.ts <dir> <address> <bucket>...
// Prints "PORT <n>" when listening. The address is one of this machine's own (the sandbox bridge
// gateway), so pods reach it and nothing else does.
import S3rver from 's3rver';

const [dir, address, ...buckets] = process.argv.slice(2);
if (!dir || !address) throw new Error('usage: s3rver-main.ts <dir> <address> <bucket>...');
const server = new S3rver({
  address,
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
