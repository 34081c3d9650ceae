// Test fixture process: starts Floe and a Kubelet on one data dir and prints the kubeconfig path (the crash tests kill it).
import { defaultConfig } from '../../src/server/config.js';
import { startFloe } from '../../src/server/floe.js';
import { createLogger } from '../../src/server/logger.js';
import { Kubelet } from '../../src/kubelet/kubelet.js';
import { testConfig, testTiming } from './kubelet-harness.js';

async function main(): Promise<void> {
  const dataDir = process.argv[2];
  if (!dataDir) throw new Error('usage: kubelet-fixture <data dir>');
  const logger = createLogger({ level: 'silent' });
  // runPods: false — this Kubelet is wired here, with test timing, instead of the one startFloe would start.
  const floe = await startFloe({ ...defaultConfig(), dataDir, port: 0, logLevel: 'silent', runPods: false }, logger);
  const kubelet = new Kubelet({ client: floe.client, config: testConfig(dataDir), logger, timing: testTiming });
  await kubelet.start();
  process.stdout.write(`${JSON.stringify({ url: floe.url, kubeconfig: floe.kubeconfigPath })}\n`);
  const shutdown = (): void => {
    kubelet
      .stop()
      .then(() => floe.stop())
      .then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((err: unknown) => {
  process.stderr.write(`kubelet-fixture: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
