import { InitialSchema1764000000000 } from './1764000000000-InitialSchema.js';
import { AuthSessions1796100573359 } from './1796100573359-AuthSessions.js';
import { AuthChangeNotify1796200000000 } from './1796200000000-AuthChangeNotify.js';
import { ChangeFeed1796300000000 } from './1796300000000-ChangeFeed.js';
import { AuthNotifyPasswordChange1796400000000 } from './1796400000000-AuthNotifyPasswordChange.js';
import { EventDemoFlag1796500000000 } from './1796500000000-EventDemoFlag.js';
import { MapAggregates1796600000000 } from './1796600000000-MapAggregates.js';
import { EventIndexes1796700000000 } from './1796700000000-EventIndexes.js';
import { UserPersonalData1796900000000 } from './1796900000000-UserPersonalData.js';
import { StatsFacts1797000000000 } from './1797000000000-StatsFacts.js';
import { StatsRollups1797100000001 } from './1797100000001-StatsRollups.js';
import { StatsRollupSlots1797200000000 } from './1797200000000-StatsRollupSlots.js';
import { ComplexityTier1797300000000 } from './1797300000000-ComplexityTier.js';
import { ReportRollupTrigger1797800000000 } from './1797800000000-ReportRollupTrigger.js';
import { Open3111797400000000 } from './1797400000000-Open311.js';
import { HotlineOrders1797600000000 } from './1797600000000-HotlineOrders.js';
import { GatewayDeliveries1797700000000 } from './1797700000000-GatewayDeliveries.js';
import { UserZwddAccount1797900000000 } from './1797900000000-UserZwddAccount.js';
import { FactsUnitsIndexPartial1797950000000 } from './1797950000000-FactsUnitsIndexPartial.js';
import { ZwddTodos1798100000000 } from './1798100000000-ZwddTodos.js';
import { CategoryReportToProvince1798110000000 } from './1798110000000-CategoryReportToProvince.js';
import { GatewayDeliveriesUnsettledIndex1798300000000 } from './1798300000000-GatewayDeliveriesUnsettledIndex.js';

/** Every migration, in order: one list for the built app, the CLI and the tests. */
export const MIGRATIONS = [InitialSchema1764000000000, AuthSessions1796100573359, AuthChangeNotify1796200000000, ChangeFeed1796300000000,
  AuthNotifyPasswordChange1796400000000, EventDemoFlag1796500000000, MapAggregates1796600000000,
  EventIndexes1796700000000, UserPersonalData1796900000000, StatsFacts1797000000000,
  StatsRollups1797100000001,
  StatsRollupSlots1797200000000, ComplexityTier1797300000000,
  Open3111797400000000, HotlineOrders1797600000000, GatewayDeliveries1797700000000,
  ReportRollupTrigger1797800000000, UserZwddAccount1797900000000, FactsUnitsIndexPartial1797950000000, ZwddTodos1798100000000, CategoryReportToProvince1798110000000,
  GatewayDeliveriesUnsettledIndex1798300000000];
