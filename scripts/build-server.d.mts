// Types of scripts/build-server.mjs for the tests and benches that call it.
export function sourceFingerprint(root?: string): string;
export function serverBuildIsFresh(root?: string): boolean;
export function buildServer(root?: string): void;
export function ensureServerBuild(root?: string, options?: { force?: boolean }): boolean;
