import type { ActorRole, EventStatus, Level, SlaState, Stage, TimelineType, Warning, WorkflowEvent } from '#domain';
import type { EventEntity } from './event.entity.js';

export type Urgency = 'normal' | 'urgent';
export type EventSource = 'grid' | 'hotline12345' | 'zlb' | 'province' | 'open311' | 'staff';

/** An event (事件) as the API returns it. */
export interface EventView {
  id: string;
  code: string;
  categoryCode: string;
  description: string;
  address: string | null;
  location: { lng: number; lat: number };
  gridCode: string;
  villageCode: string;
  townshipCode: string;
  countyCode: string;
  status: EventStatus;
  level: Level;
  urgency: Urgency;
  source: EventSource;
  warning: Warning;
  ownerUnitCode: string;
  centreUnitCode: string;
  handlerUnitCode: string | null;
  supportUnitCodes: string[];
  suggestedUnitCode: string | null;
  assigneeId: string | null;
  reporterId: string | null;
  mergedIntoId: string | null;
  suspendedFromStatus: EventStatus | null;
  extensionRequestedUntil: string | null;
  extendedUntil: string | null;
  urgeCount: number;
  supervised: boolean;
  reworkCount: number;
  returnCount: number;
  rating: number | null;
  resolvedOnSite: boolean;
  attachmentIds: string[];
  stage: Stage | null;
  stageStartedAt: string | null;
  stageDueAt: string | null;
  stageYellowAt: string | null;
  stageEscalateAt: string | null;
  stagePausedAt: string | null;
  /** Working or natural time for this event's limits (urgent events count natural time). */
  slaBasis: 'working' | 'natural' | null;
  slaNextAt: string | null;
  /** Time left in the current stage, in minutes of slaBasis; negative when overdue (computed on read). */
  remainingMinutes?: number | null;
  version: number;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
}

export interface TimelineView {
  type: TimelineType;
  fromStatus: EventStatus | null;
  toStatus: EventStatus;
  fromLevel: Level | null;
  toLevel: Level;
  actorId: string | null;
  actorName: string | null;
  actorRole: ActorRole;
  unitCode: string | null;
  note: string | null;
  data: Record<string, unknown>;
  attachmentIds: string[];
  at: string;
}

export interface EventDetailView extends EventView {
  timeline: TimelineView[];
}

/** SQL select list producing an EventView-shaped row (alias `e`). */
export const EVENT_COLUMNS = `e.id, e.code, e.category_code AS "categoryCode", e.description, e.address,
  json_build_object('lng', ST_X(e.location), 'lat', ST_Y(e.location)) AS location,
  e.grid_code AS "gridCode", e.village_code AS "villageCode", e.township_code AS "townshipCode", e.county_code AS "countyCode",
  e.status, e.level, e.urgency, e.source, e.warning, e.owner_unit_code AS "ownerUnitCode", e.centre_unit_code AS "centreUnitCode",
  e.handler_unit_code AS "handlerUnitCode", e.support_unit_codes AS "supportUnitCodes", e.suggested_unit_code AS "suggestedUnitCode",
  e.involved_unit_codes AS "involvedUnitCodes", e.assignee_id AS "assigneeId", e.reporter_id AS "reporterId",
  e.merged_into_id AS "mergedIntoId", e.suspended_from_status AS "suspendedFromStatus",
  e.extension_requested_until AS "extensionRequestedUntil", e.extended_until AS "extendedUntil",
  e.urge_count AS "urgeCount", e.supervised, e.rework_count AS "reworkCount", e.return_count AS "returnCount", e.rating,
  e.resolved_on_site AS "resolvedOnSite", e.attachment_ids AS "attachmentIds", e.stage,
  e.stage_started_at AS "stageStartedAt", e.stage_due_at AS "stageDueAt", e.stage_yellow_at AS "stageYellowAt",
  e.stage_escalate_at AS "stageEscalateAt", e.stage_paused_at AS "stagePausedAt", e.sla_basis AS "slaBasis",
  e.sla_next_at AS "slaNextAt", e.version,
  e.created_at AS "createdAt", e.updated_at AS "updatedAt", e.closed_at AS "closedAt", e.region_code AS "regionCode"`;

/**
 * A row as selected with EVENT_COLUMNS: every column of the entity (dates still Date objects), the location as
 * longitude/latitude instead of the geometry.
 */
export type EventRow = Omit<EventEntity, 'location'> & { location: { lng: number; lat: number } };

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toEventView(row: EventRow): EventView {
  const { involvedUnitCodes: _involved, regionCode: _region, ...rest } = row;
  return {
    ...rest,
    extensionRequestedUntil: iso(row.extensionRequestedUntil),
    extendedUntil: iso(row.extendedUntil),
    stageStartedAt: iso(row.stageStartedAt),
    stageDueAt: iso(row.stageDueAt),
    stageYellowAt: iso(row.stageYellowAt),
    stageEscalateAt: iso(row.stageEscalateAt),
    stagePausedAt: iso(row.stagePausedAt),
    slaNextAt: iso(row.slaNextAt),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    closedAt: iso(row.closedAt),
  };
}

/** The SLA policy's view of a stored event (after a transition: its new state and marks). */
export function toSlaState(state: Pick<WorkflowEvent, 'status' | 'level' | 'warning'>,
  marks: { stage: Stage | null; yellowAt: Date | null; dueAt: Date | null; escalateAt: Date | null; pausedAt: Date | null }): SlaState {
  return { status: state.status, level: state.level, warning: state.warning, stage: marks.stage, paused: marks.pausedAt !== null,
    yellowAt: marks.yellowAt, dueAt: marks.dueAt, escalateAt: marks.escalateAt };
}

/** The workflow's view of a stored event. */
export function toWorkflowEvent(row: EventRow): WorkflowEvent {
  return {
    status: row.status,
    level: row.level,
    ownerUnitCode: row.ownerUnitCode,
    centreUnitCode: row.centreUnitCode,
    handlerUnitCode: row.handlerUnitCode,
    supportUnitCodes: row.supportUnitCodes,
    involvedUnitCodes: row.involvedUnitCodes,
    assigneeId: row.assigneeId,
    warning: row.warning,
    version: row.version,
    suspendedFromStatus: row.suspendedFromStatus,
    extensionRequestedUntil: iso(row.extensionRequestedUntil),
    extendedUntil: iso(row.extendedUntil),
    mergedIntoId: row.mergedIntoId,
    urgeCount: row.urgeCount,
    supervised: row.supervised,
    reworkCount: row.reworkCount,
    returnCount: row.returnCount,
    rating: row.rating,
    resolvedOnSite: row.resolvedOnSite,
    reporterId: row.reporterId,
    closedAt: iso(row.closedAt),
  };
}
