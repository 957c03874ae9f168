import { LogLevel, setDebugLogger, setErrorLogger, setLogLevel, setWarningLogger } from 'node-opcua-client';
import type { Logger } from '../../../services/core/logger.js';

let routed = false;

/**
 * node-opcua prints to the console through process-wide hooks; the first OPC UA adapter routes
 * them into the gateway's pino logger (warnings at debug level: the library is chatty about
 * things the gateway reports itself, such as lost connections).
 */
export function routeOpcuaLogs(log: Logger): void {
  if (routed) return;
  routed = true;
  const lib = log.child({ lib: 'node-opcua' });
  const text = (args: unknown[]) => args.map((a) => (typeof a === 'string' ? a : String(a))).join(' ');
  setLogLevel(LogLevel.Warning);
  setDebugLogger((...args: unknown[]) => lib.trace(text(args)));
  setWarningLogger((...args: unknown[]) => lib.debug(text(args)));
  setErrorLogger((...args: unknown[]) => lib.warn(text(args)));
}
