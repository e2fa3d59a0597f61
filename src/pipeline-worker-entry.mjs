// Worker threads do not inherit the TypeScript loader of the thread that starts them (under
// Vitest or tsx alike), so the worker registers tsx itself before loading its TypeScript.
import { register } from 'tsx/esm/api';

register();
await import('./pipeline-worker.ts');
