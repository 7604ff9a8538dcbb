/** Looks up user and group names for uids and gids from /etc/passwd and /etc/group, once. */
import { readFileSync } from 'node:fs';

export interface Accounts {
  userName(uid: number): string | undefined;
  groupName(gid: number): string | undefined;
}

export function systemAccounts(passwdPath = '/etc/passwd', groupPath = '/etc/group'): Accounts {
  const users = parseTable(passwdPath);
  const groups = parseTable(groupPath);
  return { userName: (uid) => users.get(uid), groupName: (gid) => groups.get(gid) };
}

function parseTable(path: string): Map<number, string> {
  const map = new Map<number, string>();
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return map; // names are optional metadata; numeric ids are what restore uses
  }
  for (const line of text.split('\n')) {
    const [name, , id] = line.split(':');
    const n = Number(id);
    if (name !== undefined && name !== '' && Number.isInteger(n) && !map.has(n)) map.set(n, name);
  }
  return map;
}
