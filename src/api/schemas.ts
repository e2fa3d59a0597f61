// Response schemas of the admin API: the single source for validation-free serialisation and
// for the OpenAPI document.
export const credentialSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    kind: { type: 'string', enum: ['write', 'admin'] },
    name: { type: 'string' },
    createdAt: { type: 'string' },
    revokedAt: { type: ['string', 'null'] },
    secret: { type: 'string', description: 'Shown once, when created.' },
  },
} as const;
