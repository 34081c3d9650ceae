// `floe version` and `floe api-resources`: what this client is, and what the server it talks to serves.
import { ExitCode, UsageError } from './cli-error.js';
import { formatTable, toJson, toYaml } from './printers.js';
import { apiVersionOfResource } from './resources.js';
import type { Session } from './session.js';

export interface ClientVersion {
  floeVersion: string;
  nodeVersion: string;
  platform: string;
}

interface ServerVersion {
  gitVersion?: string;
  major?: string;
  minor?: string;
  platform?: string;
}

/**
 * Prints the client's version, then asks the server for its /version. The client line is printed first, so a
 * user whose server is down still learns what they run (the error follows on stderr).
 */
export async function version(openSession: () => Promise<Session>, client: ClientVersion, options: { output?: string; clientOnly?: boolean }, out: (text: string) => void): Promise<ExitCode> {
  const output = options.output ?? '';
  if (output !== '' && output !== 'json' && output !== 'yaml') throw new UsageError(`--output must be json or yaml, not "${output}"`);
  if (output === '') out(`Client Version: v${client.floeVersion}\n`);
  if (options.clientOnly) {
    if (output !== '') out(output === 'json' ? toJson({ clientVersion: client }) : toYaml({ clientVersion: client }));
    return ExitCode.Ok;
  }
  const session = await openSession();
  const server = await session.http.json<ServerVersion>({ method: 'GET', path: '/version' });
  if (output === '') out(`Server Version: ${server.gitVersion ?? 'unknown'}\nServer: ${session.http.server}\n`);
  else out(output === 'json' ? toJson({ clientVersion: client, serverVersion: server }) : toYaml({ clientVersion: client, serverVersion: server }));
  return ExitCode.Ok;
}

/** kubectl's api-resources table: the names users may type for each kind. */
export async function apiResources(session: Session, options: { namespaced?: boolean }): Promise<ExitCode> {
  const all = await session.catalog.all();
  const rows = [['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND']];
  for (const r of all) {
    if (options.namespaced !== undefined && r.namespaced !== options.namespaced) continue;
    rows.push([r.plural, r.shortNames.join(','), apiVersionOfResource(r), String(r.namespaced), r.kind]);
  }
  session.io.out(formatTable(rows));
  return ExitCode.Ok;
}
