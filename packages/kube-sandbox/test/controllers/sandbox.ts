// Starts a real sandbox (API server) with the controllers in it, for the controllers' integration
// tests. There is no node: tests play the kubelet through the client (see testing/kubelet.ts).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox, type Sandbox } from '../../src/sandbox.ts';
import {
  startControllers,
  type RunningControllers,
  type StartControllersOptions,
} from '../../src/controllers/index.ts';

export interface ControllerSandbox {
  sandbox: Sandbox;
  controllers: RunningControllers;
  dataDir: string;
  stop(): Promise<void>;
}

export async function startControllerSandbox(
  opts: Omit<StartControllersOptions, 'client' | 'dataDir'> = {},
): Promise<ControllerSandbox> {
  const dataDir = await mkdtemp(join(tmpdir(), 'ks-controllers-'));
  let controllers: RunningControllers | undefined;
  const sandbox = await startSandbox({
    dataDir,
    persist: false,
    node: false,
    components: [
      async (ctx) => {
        controllers = await startControllers({
          jobBackoffBaseMs: 20,
          ...opts,
          client: ctx.client,
          dataDir: ctx.dataDir,
        });
        return controllers;
      },
    ],
  });
  if (!controllers) throw new Error('the sandbox did not start the controllers component');
  const running = controllers;
  return {
    sandbox,
    controllers: running,
    dataDir,
    async stop() {
      await sandbox.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
