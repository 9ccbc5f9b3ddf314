import { AttachmentEntity } from '../attachments/attachment.entity.js';
import { AuditEntryEntity } from '../audit/audit-entry.entity.js';
import { RefreshTokenEntity } from '../auth/refresh-token.entity.js';
import { SessionEntity } from '../auth/session.entity.js';
import { UserEntity } from '../auth/user.entity.js';
import { CategoryEntity } from '../categories/category.entity.js';
import { EventActionEntity } from '../events/event-action.entity.js';
import { EventEntity } from '../events/event.entity.js';
import { HotlineOrderEntity } from '../hotline/hotline-order.entity.js';
import { MapCellCategoryTotalEntity } from '../map/map-cell-category-total.entity.js';
import { MapCellCountEntity } from '../map/map-cell-count.entity.js';
import { MapCellTotalEntity } from '../map/map-cell-total.entity.js';
import { MapRegionTotalEntity } from '../map/map-region-total.entity.js';
import { Open311ClientEntity } from '../open311/open311-client.entity.js';
import { Open311RequestEntity } from '../open311/open311-request.entity.js';
import { GatewayDeliveryEntity, GatewayRelayCursorEntity } from '../gateway-relay/gateway-delivery.entity.js';
import { ZwddTodoEntity } from '../gateway-relay/zwdd-todo.entity.js';
import { OutboxMessageEntity } from '../outbox/outbox-message.entity.js';
import { RegionEntity } from '../regions/region.entity.js';
import { CalendarDayEntity } from '../sla/calendar-day.entity.js';
import { SettingsVersionEntity } from '../sla/settings-version.entity.js';
import { SlaRuleEntity } from '../sla/sla-rule.entity.js';
import { PlatformTypeEntity } from '../units/platform-type.entity.js';
import { UnitEntity } from '../units/unit.entity.js';
import { EventFactEntity } from '../stats/event-fact.entity.js';
import { StageFactEntity } from '../stats/stage-fact.entity.js';
import { StatsDailyEntity } from '../stats/stats-daily.entity.js';
import { StatsWeightEntity } from '../stats/stats-weight.entity.js';

/** Every table, one entity each: the single definition of the schema that migrations are generated from. */
export const ENTITIES = [
  RegionEntity, PlatformTypeEntity, UnitEntity, UserEntity, SessionEntity, RefreshTokenEntity, CategoryEntity,
  SlaRuleEntity, SettingsVersionEntity, CalendarDayEntity, EventEntity, EventActionEntity, OutboxMessageEntity,
  AuditEntryEntity, AttachmentEntity, MapCellCountEntity, MapCellCategoryTotalEntity, MapCellTotalEntity,
  MapRegionTotalEntity, EventFactEntity, StageFactEntity, StatsWeightEntity,
  StatsDailyEntity, Open311ClientEntity, Open311RequestEntity,
  GatewayDeliveryEntity, GatewayRelayCursorEntity, HotlineOrderEntity, ZwddTodoEntity,
];
