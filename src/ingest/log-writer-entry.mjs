// Worker threads do not inherit the TypeScript loader of the thread that starts them, so the
// log writer registers tsx itself before loading its TypeScript.
import { register } from 'tsx/esm/api';

register();
await import('./log-writer-worker.ts');
