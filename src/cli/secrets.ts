// `floe secrets rewrite`: re-encrypts a stopped Floe's Secrets (and whatever else its encryption configuration names)
// with the configuration's first provider: key rotation, or encrypting Secrets an older Floe wrote in the clear.
import { existsSync } from 'node:fs';
import { openDataDir } from '../server/data-dir.js';
import { loadEncryption } from '../store/encryption.js';
import { resourceKey, Store } from '../store/store.js';
import { join } from 'node:path';
import { CliError } from './cli-error.js';

export function rewriteSecrets(options: { dataDir: string; configPath?: string }): { objects: number; changes: number; path: string } {
  if (!existsSync(join(options.dataDir, 'floe.db'))) throw new CliError(`no Floe database in ${options.dataDir}`);
  let dataDir;
  try {
    dataDir = openDataDir(options.dataDir);
  } catch (err) {
    throw new CliError(`cannot open ${options.dataDir}: ${err instanceof Error ? err.message : String(err)} (stop Floe first: the rewrite works on its database directly)`, { cause: err });
  }
  try {
    const database = dataDir.database('floe.db');
    const encryption = loadEncryption({ dataDir: dataDir.path, ...(options.configPath ? { configPath: options.configPath } : {}) });
    const store = new Store({ path: database, transformer: encryption.encryption });
    try {
      // Secrets always (an identity-first configuration decrypts them), and whatever else the configuration names.
      const resources = new Set([resourceKey('', 'secrets'), ...store.storedResources().filter((r) => encryption.encryption.handles(r))]);
      const total = { objects: 0, changes: 0 };
      for (const resource of resources) {
        const counts = store.rewrite(resource);
        total.objects += counts.objects;
        total.changes += counts.changes;
      }
      return { ...total, path: encryption.path };
    } finally {
      store.close();
    }
  } finally {
    dataDir.close();
  }
}
