// The arbitration policy over the admin API: fatigue caps and quiet hours, the document of
// RAPPORT_ARBITRATION_POLICY (docs/arbitration.md). Read always; written only when no file pins
// it (precedence in src/conductor/runtime/policy-store.ts).
import type { FastifyInstance } from 'fastify';
import type { CredentialCache } from '../../auth/index.ts';
import { errorSchema } from '../../errors/index.ts';
import { ArbitrationPolicySchema, ArbitrationPolicyViewSchema } from '../arbitration/policy.ts';
import { type ArbitrationPolicyStore, type CurrentPolicy, policyDocument } from './policy-store.ts';

export interface ArbitrationPolicyRouteOptions {
  policies: ArbitrationPolicyStore;
  credentials: CredentialCache;
  /** Runs the conductor's loops now, so deferred messages are arbitrated again under the new policy. */
  wake(): void;
  now(): string;
}

const security = [{ adminToken: [] }];

function view(current: CurrentPolicy) {
  return { ...current, policy: policyDocument(current.policy) };
}

export async function arbitrationPolicyRoutes(
  app: FastifyInstance,
  options: ArbitrationPolicyRouteOptions,
): Promise<void> {
  const { policies } = options;

  app.get(
    '/api/arbitration-policy',
    {
      config: { access: 'read' },
      schema: {
        tags: ['settings'],
        summary: 'Fatigue caps, quiet hours and the default time zone arbitration uses now',
        security,
        response: { 200: ArbitrationPolicyViewSchema },
      },
    },
    async () => view(await policies.current()),
  );

  app.put(
    '/api/arbitration-policy',
    {
      config: { access: 'marketing:write' },
      schema: {
        tags: ['settings'],
        summary: 'Replace the arbitration policy; the next arbitration decision uses it',
        description:
          'The same document as the RAPPORT_ARBITRATION_POLICY file. 400 names each bad field; 409 when that variable is set (the file wins).',
        security,
        body: ArbitrationPolicySchema,
        response: { 200: ArbitrationPolicyViewSchema, '4xx': errorSchema },
      },
      // The body schema is for the OpenAPI document: validatePolicy checks it, exactly as it
      // checks the file (Fastify's validator would coerce "2" to 2 and drop unknown fields).
      validatorCompiler: () => () => true,
    },
    async (request) => {
      const saved = await policies.save(request.body, options.now());
      options.wake();
      return view(saved);
    },
  );
}
