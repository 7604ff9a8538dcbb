/**
 * Compartments: a tenant's compartments are its tenancy OCID (the root
 * compartment) and its `ociCompartment` aliases. A volume's compartment is
 * kept in its resource attributes (root when none); a backup's in its OCI
 * attributes (that of its volume when made).
 */
import type { Resource, Tenant } from '../../../catalog/index.js';
import { fail } from '../../../common/errors.js';

export const COMPARTMENT_ATTRIBUTE = 'ociCompartmentId';

export function compartmentsOf(tenant: Tenant): string[] {
  return [...(tenant.aliases['ociTenancy'] ?? []), ...(tenant.aliases['ociCompartment'] ?? [])];
}

export function rootCompartment(tenant: Tenant): string {
  const root = tenant.aliases['ociTenancy']?.[0];
  if (root === undefined) throw fail('NOT_FOUND', `tenant ${tenant.name} has no OCI tenancy`);
  return root;
}

/** The compartment if the tenant has it; NotAuthorizedOrNotFound otherwise, as OCI answers for one the caller cannot see. */
export function checkCompartment(tenant: Tenant, compartmentId: string): string {
  if (!compartmentsOf(tenant).includes(compartmentId)) throw fail('NOT_FOUND', `Authorization failed or requested resource not found: compartment ${compartmentId}.`);
  return compartmentId;
}

export function volumeCompartment(tenant: Tenant, resource: Resource): string {
  const c = resource.attributes[COMPARTMENT_ATTRIBUTE];
  return typeof c === 'string' ? c : rootCompartment(tenant);
}
