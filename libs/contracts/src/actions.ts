/**
 * The actions a user may send, and how one user's list is picked from an event's grants. Plain code with no schema
 * library, so the web pages can use it without loading the schemas (events.ts re-exports it).
 */
/** The actions a user may send to POST /events/:id/actions (`warn` is the SLA engine's alone). */
export const EVENT_ACTION_TYPES = ['accept', 'reject', 'merge', 'dispatch', 'sign', 'return', 'feedback', 'verify', 'escalate',
  'suspend', 'resume', 'request_extension', 'approve_extension', 'urge', 'supervise', 'rate'] as const;
export type EventActionType = (typeof EVENT_ACTION_TYPES)[number];

/** One grant of an event (ActionGrant in events.ts): the structural shape actionsFor needs. */
export interface GrantLike {
  role: string | null;
  unitCode: string | null;
  reporter: boolean;
  actions: readonly EventActionType[];
}

/** The actions `user` may take on a live event, from its grants (the same answer as allowedActions for that user). */
export function actionsFor(event: { grants: readonly GrantLike[]; reporterId: string | null },
  user: { id: string; role: string; unitCode: string | null }): EventActionType[] {
  const out = new Set<EventActionType>();
  for (const g of event.grants) {
    if (g.role !== null && g.role !== user.role) continue;
    if (g.unitCode !== null && g.unitCode !== user.unitCode) continue;
    if (g.reporter && event.reporterId !== user.id) continue;
    for (const a of g.actions) out.add(a);
  }
  return EVENT_ACTION_TYPES.filter((a) => out.has(a));
}

