#!/usr/bin/env node
// The `floe` command: `floe up` runs the platform on this machine; other verbs come with their capabilities.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { defaultConfig, type FloeConfig } from '../server/config.js';
import { startFloe } from '../server/floe.js';
import type { LogLevel } from '../server/logger.js';

function portNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number between 0 and 65535');
  return n;
}

/** Options override environment variables, which override defaults. */
function configFrom(opts: { dataDir?: string; host?: string; port?: number; token?: string; logLevel?: string }): FloeConfig {
  const env = process.env;
  const config = defaultConfig();
  config.dataDir = opts.dataDir ?? env.FLOE_DATA_DIR ?? config.dataDir;
  config.host = opts.host ?? env.FLOE_HOST ?? config.host;
  config.port = opts.port ?? (env.FLOE_PORT ? portNumber(env.FLOE_PORT) : config.port);
  const token = opts.token ?? env.FLOE_TOKEN;
  if (token) config.token = token;
  config.logLevel = (opts.logLevel ?? env.FLOE_LOG_LEVEL ?? config.logLevel) as LogLevel;
  return config;
}

const program = new Command();
program.name('floe').description("Kubeflow's API on one machine").version('0.1.0');

program
  .command('up')
  .description('run Floe: the API server, its controllers and the local runtime')
  .option('--data-dir <dir>', 'folder for the database, logs and volumes (default ~/.floe, env FLOE_DATA_DIR)')
  .option('--host <host>', 'address to listen on (default 127.0.0.1, env FLOE_HOST)')
  .option('--port <port>', 'port to listen on, 0 for any free port (default 8443, env FLOE_PORT)', portNumber)
  .option('--token <token>', 'bearer token clients must present; required off loopback (env FLOE_TOKEN)')
  .option('--log-level <level>', 'debug, info, warn, error or silent (env FLOE_LOG_LEVEL)')
  .action(async (opts: { dataDir?: string; host?: string; port?: number; token?: string; logLevel?: string }) => {
    const config = configFrom(opts);
    const floe = await startFloe(config);
    process.stdout.write(`Floe is serving the Kubernetes API at ${floe.url}\n`);
    process.stdout.write(`Point kubectl at it:  export KUBECONFIG=${floe.kubeconfigPath}\n`);
    const shutdown = (): void => {
      floe.stop().then(() => process.exit(0), () => process.exit(1));
    };
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  });

program
  .command('kubeconfig')
  .description('print the kubeconfig of the Floe using this data directory')
  .option('--data-dir <dir>', 'folder Floe runs from (default ~/.floe)')
  .action((opts: { dataDir?: string }) => {
    const config = configFrom(opts);
    process.stdout.write(readFileSync(join(config.dataDir, 'kubeconfig'), 'utf8'));
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`floe: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
