/**
 * Administration under /v1: tenants (system admin only), a tenant's
 * credentials (its admins, or the system admin) and the caller's repository
 * access. Who may do what is decided in app/tenants.ts; `me` stands for the
 * caller's own tenant in the credential routes.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app/context.js';
import { createCredential, deleteCredential, listCredentials, type NewCredentialRequest } from '../../app/credentials.js';
import { createTenant, deleteTenant, getTenant, listTenants, readRepositoryAccess, setTenantAliases } from '../../app/tenants.js';
import { principalOf } from './auth.js';
import { idOf, idParams } from './schemas.js';

const aliasesSchema = {
  type: 'object', maxProperties: 10,
  additionalProperties: { type: 'array', maxItems: 50, items: { type: 'string', maxLength: 300 } },
} as const;
const tenantBody = {
  type: 'object', required: ['name'], additionalProperties: false,
  properties: { name: { type: 'string', minLength: 1, maxLength: 63 }, aliases: aliasesSchema },
} as const;
const tenantPatch = { type: 'object', required: ['aliases'], additionalProperties: false, properties: { aliases: aliasesSchema } } as const;
const credentialBody = {
  type: 'object', required: ['kind'], additionalProperties: false,
  properties: {
    kind: { enum: ['token', 'password', 'api-key'] }, role: { enum: ['admin', 'member'] }, name: { type: 'string', maxLength: 128 },
    user: { type: 'string', maxLength: 128 }, password: { type: 'string', maxLength: 1024 },
    userOcid: { type: 'string', maxLength: 300 }, fingerprint: { type: 'string', maxLength: 47 }, publicKey: { type: 'string', maxLength: 16384 },
  },
} as const;
const credentialParams = {
  type: 'object', required: ['id', 'credentialId'],
  properties: { id: { type: 'string', maxLength: 100 }, credentialId: { type: 'string', maxLength: 100 } },
} as const;

async function tenantRoutes(server: FastifyInstance, app: AppContext): Promise<void> {
  server.post('/tenants', { schema: { body: tenantBody } }, async (req, reply) =>
    reply.status(201).send(await createTenant(app, principalOf(req), req.body as { name: string; aliases?: Record<string, string[]> })));
  server.get('/tenants', async (req) => ({ items: await listTenants(app, principalOf(req)) }));
  server.get('/tenants/:id', { schema: { params: idParams } }, async (req) => getTenant(app, principalOf(req), idOf(req)));
  server.patch('/tenants/:id', { schema: { params: idParams, body: tenantPatch } }, async (req) =>
    setTenantAliases(app, principalOf(req), idOf(req), (req.body as { aliases: Record<string, string[]> }).aliases));
  server.delete('/tenants/:id', { schema: { params: idParams } }, async (req, reply) => {
    await deleteTenant(app, principalOf(req), idOf(req));
    return reply.status(204).send();
  });
}

async function credentialRoutes(server: FastifyInstance, app: AppContext): Promise<void> {
  server.post('/tenants/:id/credentials', { schema: { params: idParams, body: credentialBody }, config: { revealsSecret: true } }, async (req, reply) =>
    reply.status(201).send(await createCredential(app, principalOf(req), idOf(req), req.body as NewCredentialRequest)));
  server.get('/tenants/:id/credentials', { schema: { params: idParams } }, async (req) => ({ items: await listCredentials(app, principalOf(req), idOf(req)) }));
  server.delete('/tenants/:id/credentials/:credentialId', { schema: { params: credentialParams } }, async (req, reply) => {
    const { id, credentialId } = req.params as { id: string; credentialId: string };
    await deleteCredential(app, principalOf(req), id, credentialId);
    return reply.status(204).send();
  });
}

export async function adminRoutes(server: FastifyInstance, app: AppContext): Promise<void> {
  await tenantRoutes(server, app);
  await credentialRoutes(server, app);
  server.get('/repository', { config: { revealsSecret: true } }, async (req) => readRepositoryAccess(app, principalOf(req)));
}
