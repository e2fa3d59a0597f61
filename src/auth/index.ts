// The auth capability's door: credentials (write keys, admin tokens) and their CLI.
export { registerCredentialCommands } from './cli.ts';
export * from './credentials.ts';
