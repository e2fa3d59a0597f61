// Identity resolution: which profile a message belongs to. Owns the identifier rules
// (userId, anonymousId, alias's previousId, identifier traits such as email), the merge of
// profiles that turn out to be one person, and the guard rail that refuses merges breaking
// the per-profile identity limits (so a shared device cannot fuse strangers). Pure: the
// profiles processor loads the working set and writes the decisions.
export { DEFAULT_IDENTITY_CONFIG, type IdentityConfig, identityKeysOf, keyString } from './keys.ts';
export { IdentityGraph, lookupKeysOf, type ResolveContext, resolveIdentity } from './resolve.ts';
