import type { Actor } from '../model.ts';

/** Where a request came from, for the audit trail. */
export interface RequestContext {
  requestId: string;
  sourceIp?: string;
}

export const auditActor = (actor: Actor) => ({
  kind: actor.kind === 'citizen' ? ('citizen' as const) : ('client' as const),
  id: actor.id,
  clientId: actor.clientId,
});
