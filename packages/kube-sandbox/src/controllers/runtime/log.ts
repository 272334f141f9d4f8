// The controllers' logger: structured enough for tests to capture, silent by default.

export interface ControllerLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: ControllerLogger = {
  info: () => undefined,
  error: () => undefined,
};

/** One JSON line per message on stderr (stdout belongs to the CLI's ready line). */
export const stderrLogger: ControllerLogger = {
  info: (message, fields) => write('info', message, fields),
  error: (message, fields) => write('error', message, fields),
};

function write(level: string, message: string, fields?: Record<string, unknown>): void {
  process.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), level, component: 'controllers', message, ...fields })}\n`,
  );
}
