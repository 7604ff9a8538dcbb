/**
 * OCIDs of Holdfast objects. An OCID is the object's own id in OCI's form
 * (`res_<hex>` ↔ `ocid1.volume.oc1..<hex>`), so no lookup table is needed and
 * every volume resource, however it was made, has its OCID.
 */
const HEX = /^[0-9a-f]{8,64}$/;

export interface OcidKind {
  readonly ociType: string;
  readonly prefix: string;
}

export const VOLUME: OcidKind = { ociType: 'volume', prefix: 'res' };
export const VOLUME_BACKUP: OcidKind = { ociType: 'volumebackup', prefix: 'bak' };
export const VOLUME_BACKUP_POLICY: OcidKind = { ociType: 'volumebackuppolicy', prefix: 'pol' };

export function toOcid(kind: OcidKind, id: string): string {
  const hex = id.startsWith(`${kind.prefix}_`) ? id.slice(kind.prefix.length + 1) : '';
  return HEX.test(hex) ? `ocid1.${kind.ociType}.oc1..${hex}` : `ocid1.${kind.ociType}.oc1..x${Buffer.from(id).toString('hex')}`;
}

/** The Holdfast id an OCID names, or undefined when it is not an OCID of that kind (the caller answers 404). */
export function fromOcid(kind: OcidKind, ocid: string): string | undefined {
  const head = `ocid1.${kind.ociType}.oc1..`;
  if (!ocid.startsWith(head)) return undefined;
  const rest = ocid.slice(head.length);
  if (HEX.test(rest)) return `${kind.prefix}_${rest}`;
  if (rest.startsWith('x') && /^[0-9a-f]+$/.test(rest.slice(1)) && rest.length % 2 === 1) return Buffer.from(rest.slice(1), 'hex').toString();
  return undefined;
}
