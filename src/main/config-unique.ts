/**
 * The config file's uniqueness rules, checked before anything is applied:
 * tenant names and aliases, credential names per tenant and token ids across
 * the file, resource and policy names per tenant.
 */
import { bad, pathText, type ConfigSource, type Path } from './config-reader.js';

/** The part of a parsed config these rules look at. */
interface Declarations {
  readonly tenants: readonly { name: string; aliases: Record<string, string[]>; credentials: readonly { name: string; lookupId: string }[] }[];
  readonly resources: readonly { tenant: string; name: string }[];
  readonly policies: readonly { tenant: string; name: string }[];
}

function once(src: ConfigSource, seen: Map<string, Path>, key: string, path: Path, what: string): void {
  const first = seen.get(key);
  if (first !== undefined) throw bad(src, path, `${what} is declared twice (also at ${pathText(first)})`);
  seen.set(key, path);
}

export function checkUnique(src: ConfigSource, config: Declarations): void {
  const tenants = new Map<string, Path>();
  const aliases = new Map<string, Path>();
  const tokenIds = new Map<string, Path>();
  config.tenants.forEach((t, i) => {
    once(src, tenants, t.name, ['tenants', i, 'name'], `tenant ${t.name}`);
    for (const [kind, values] of Object.entries(t.aliases)) {
      for (const value of values) once(src, aliases, `${kind}\0${value}`, ['tenants', i, 'aliases', kind], `alias ${kind}=${value}`);
    }
    const names = new Map<string, Path>();
    t.credentials.forEach((c, j) => {
      once(src, names, c.name, ['tenants', i, 'credentials', j, 'name'], `credential ${c.name} of tenant ${t.name}`);
      once(src, tokenIds, c.lookupId, ['tenants', i, 'credentials', j], `token id ${c.lookupId}`);
    });
  });
  const resources = new Map<string, Path>();
  config.resources.forEach((r, i) => once(src, resources, `${r.tenant}\0${r.name}`, ['resources', i, 'name'], `resource ${r.tenant}/${r.name}`));
  const policies = new Map<string, Path>();
  config.policies.forEach((p, i) => once(src, policies, `${p.tenant}\0${p.name}`, ['policies', i, 'name'], `policy ${p.tenant}/${p.name}`));
}
