// The `backup-agent` subcommand of the operator binary (used by restore init containers).
import { existsSync } from 'node:fs';
import { runAgent } from '@opsmith/backup-storage';

/**
 * `etcd-operator backup-agent [--unless-exists PATH] <agent args>`: the backup agent of
 * @opsmith/backup-storage, with one addition for init containers: nothing is fetched when PATH
 * exists (the member's data is already there).
 */
export async function runBackupAgentCommand(
  argv: string[],
  io: { env: NodeJS.ProcessEnv; stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
): Promise<number> {
  let args = argv;
  if (args[0] === '--unless-exists') {
    const path = args[1];
    if (!path) {
      io.stderr.write('backup-agent: --unless-exists needs a path\n');
      return 2;
    }
    if (existsSync(path)) {
      io.stderr.write(`backup-agent: ${path} exists: nothing to fetch\n`);
      return 0;
    }
    args = args.slice(2);
  }
  return await runAgent(args, io as Parameters<typeof runAgent>[1]);
}
