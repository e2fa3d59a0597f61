// What the signed-in role may do, for the pages: controls that would change something the role
// may not change are not shown (the server refuses them anyway: docs/access.md).
import type { ReactNode } from 'react';
import { can } from './api.ts';

/** Its children when the role has the permission, nothing otherwise. */
export function Can(props: { needs: string; children: ReactNode }) {
  return can(props.needs) ? props.children : null;
}
