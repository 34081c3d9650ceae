// kube-apiserver's --token-auth-file: a CSV of `token,user,uid,"group1,group2"`, read once at start.
import { timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { UserInfo } from '../../server/auth.js';
import { authenticatedUser, type TokenAuthenticator } from './user.js';

export interface StaticToken {
  token: string;
  user: UserInfo;
}

/**
 * Parses the CSV as kube's tokenfile package does: one entry per line, at least three columns (token, user name, uid),
 * an optional fourth of comma-separated groups (quoted when it holds commas); blank lines and a leading `#` are skipped.
 * Duplicate tokens are refused (kube warns and keeps the last; a typo that gives two users one token is worse).
 */
export function parseTokenAuthFile(text: string, source = 'the token file'): StaticToken[] {
  const out: StaticToken[] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    const fields = csvFields(line, `${source}:${i + 1}`);
    if (fields.length < 3) throw new Error(`${source}:${i + 1}: expected token,user,uid[,"group1,group2"], found ${fields.length} column${fields.length === 1 ? '' : 's'}`);
    const [token, name, uid] = fields.map((f) => f.trim()) as [string, string, string];
    if (!token || !name) throw new Error(`${source}:${i + 1}: the token and the user name must not be empty`);
    if (seen.has(token)) throw new Error(`${source}:${i + 1}: the token of "${name}" is already given to another user on an earlier line`);
    seen.add(token);
    const groups = (fields[3] ?? '').split(',').map((g) => g.trim()).filter(Boolean);
    out.push({ token, user: { name, uid, groups } });
  });
  return out;
}

function csvFields(line: string, where: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let value = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) throw new Error(`${where}: unterminated quoted field`);
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += line[i++];
      }
      if (i < line.length && line[i] !== ',') throw new Error(`${where}: extraneous text after a quoted field`);
    } else {
      const comma = line.indexOf(',', i);
      value = comma < 0 ? line.slice(i) : line.slice(i, comma);
      i = comma < 0 ? line.length : comma;
    }
    fields.push(value);
    if (i >= line.length) return fields;
    i++; // the comma
  }
}

/** Bearer tokens from a --token-auth-file; every user also gets system:authenticated. */
export class StaticTokenAuthenticator implements TokenAuthenticator {
  private readonly entries: { token: Buffer; user: UserInfo }[];

  constructor(options: { tokens: StaticToken[] }) {
    this.entries = options.tokens.map((t) => ({ token: Buffer.from(t.token), user: authenticatedUser(t.user) }));
  }

  static fromFile(path: string): { authenticator: StaticTokenAuthenticator; warning?: string } {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new Error(`cannot read the token auth file ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    const authenticator = new StaticTokenAuthenticator({ tokens: parseTokenAuthFile(text, path) });
    const mode = statSync(path).mode & 0o777;
    return (mode & 0o077) !== 0 ? { authenticator, warning: `the token auth file ${path} can be read by other users (mode 0${mode.toString(8)}): chmod 600 ${path}` } : { authenticator };
  }

  authenticateToken(token: string): UserInfo | undefined {
    const given = Buffer.from(token);
    // Every entry is compared, so the time taken does not say how far down the file a near miss was.
    let found: UserInfo | undefined;
    for (const entry of this.entries) {
      if (entry.token.length === given.length && timingSafeEqual(entry.token, given)) found = entry.user;
    }
    return found;
  }
}
