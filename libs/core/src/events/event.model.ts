import type { SlaState, Stage, WorkflowEvent } from '#domain';

// The API shapes are defined once, as TypeBox schemas, in libs/contracts; core maps its rows to them.
import type { EventDetailView as EventDetailAnswer, EventView } from '#contracts';
import type { EventEntity } from './event.entity.js';
export type { EventSource, EventView, TimelineView, Urgency } from '#contracts';
/** An event with its timeline, as the service reads it; the API adds the signed photo links (PhotoLinks). */
export type EventDetailView = Omit<EventDetailAnswer, 'photos'>;

/** SQL select list producing an EventView-shaped row (alias `e`). */
export const EVENT_COLUMNS = `e.id, e.code, e.category_code AS "categoryCode", e.description, e.address,
  json_build_object('lng', ST_X(e.location), 'lat', ST_Y(e.location)) AS location,
  e.grid_code AS "gridCode", e.village_code AS "villageCode", e.township_code AS "townshipCode", e.county_code AS "countyCode",
  e.status, e.level, e.urgency, e.complexity, e.source, e.warning, e.owner_unit_code AS "ownerUnitCode", e.centre_unit_code AS "centreUnitCode",
  e.handler_unit_code AS "handlerUnitCode", e.support_unit_codes AS "supportUnitCodes", e.suggested_unit_code AS "suggestedUnitCode",
  e.involved_unit_codes AS "involvedUnitCodes", e.assignee_id AS "assigneeId", e.reporter_id AS "reporterId",
  e.merged_into_id AS "mergedIntoId", e.suspended_from_status AS "suspendedFromStatus",
  e.extension_requested_until AS "extensionRequestedUntil", e.extended_until AS "extendedUntil",
  e.urge_count AS "urgeCount", e.supervised, e.rework_count AS "reworkCount", e.return_count AS "returnCount", e.rating,
  e.resolved_on_site AS "resolvedOnSite", e.attachment_ids AS "attachmentIds", e.stage,
  e.stage_started_at AS "stageStartedAt", e.stage_due_at AS "stageDueAt", e.stage_yellow_at AS "stageYellowAt",
  e.stage_escalate_at AS "stageEscalateAt", e.stage_paused_at AS "stagePausedAt", e.sla_basis AS "slaBasis",
  e.sla_next_at AS "slaNextAt", e.version,
  e.created_at AS "createdAt", e.updated_at AS "updatedAt", e.closed_at AS "closedAt", e.region_code AS "regionCode", e.demo`;

/**
 * A row as selected with EVENT_COLUMNS: every column of the entity (dates still Date objects), the location as
 * longitude/latitude instead of the geometry.
 */
export type EventRow = Omit<EventEntity, 'location'> & { location: { lng: number; lat: number } };

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The fields of a view computed on read (EventViews): time left, names, merge links, who may act. */
export type ComputedViewFields = 'remainingMinutes' | 'allowedActions' | 'categoryName' | 'categoryGroupName' | 'gridName'
  | 'villageName' | 'townshipName' | 'ownerUnitName' | 'centreUnitName' | 'handlerUnitName' | 'supportUnitNames' | 'reporterName'
  | 'mergedIntoCode' | 'duplicates' | 'stageDueLocal';

/** The stored part of the view. */
export function toEventView(row: EventRow): Omit<EventView, ComputedViewFields> {
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
