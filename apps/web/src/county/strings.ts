/**
 * The Chinese strings of the county wall screen (县社会治理中心), in one place. Workflow names (状态, 动作, 预警, 层级) come
 * from `@contracts/labels`, shared with the other workspaces.
 */
export { ACTION_LABELS, LEVEL_LABELS, STATUS_LABELS, URGENCY_LABELS, WARNING_LABELS } from '@contracts/labels';

export const T = {
  title: '社会治理中心',
  subtitle: '实时态势',
  connection: { connecting: '连接中…', live: '已连接', offline: '已断开，正在重连…' } as Record<string, string>,
  lastUpdated: '最后更新',
  never: '—',
  kiosk: '值守模式',
  kpi: {
    reported: '今日上报',
    open: '在办',
    overdue: '超期',
    closed: '今日结案',
    onTimeCloseRate: '按期结案率',
    satisfactionRate: '满意率',
    liveNote: '实时计数（考核接口未就绪）',
  },
  layers: {
    title: '图层',
    township: '乡镇边界',
    village: '村社区边界',
    choropleth: '分级着色',
    clusters: '事件聚合',
    heat: '热力图',
    tiles: '底图',
  } as Record<string, string>,
  choropleth: { open: '在办', overdue: '超期' } as Record<string, string>,
  filters: {
    category: '事件大类',
    allCategories: '全部大类',
    status: '状态',
    openStatuses: '全部在办',
    township: '乡镇（街道）',
    allTownships: '全县',
    window: '时间',
    windows: { all: '全部', today: '今日', d7: '近7天', d30: '近30天' } as Record<string, string>,
    reset: '重置',
  },
  ticker: { title: '实时动态', empty: '实时接收中，暂无新动态', recent: '最近上报' },
  queue: {
    tabs: { county: '县级待办', red: '红牌督办' } as Record<string, string>,
    empty: '暂无待办事件',
    loading: '加载中…',
    remaining: '剩余',
    overdueBy: '超期',
    supervised: '已督办',
    urged: '催办',
    loadFailed: '待办加载失败，稍后自动重试',
  },
  actions: {
    dispatch: '派遣',
    supervise: '督办',
    urge: '催办',
    accept: '受理',
    verify: '核查',
  } as Record<string, string>,
  dispatch: {
    title: '派遣到县级部门',
    lead: '主办部门',
    leadPlaceholder: '选择主办部门',
    support: '协办部门',
    supportPlaceholder: '可选，多选',
    note: '派遣意见',
    confirm: '确认派遣',
    cancel: '取消',
    needLead: '请选择主办部门',
    done: '已派遣',
  },
  confirm: {
    supervise: '对该事件督办？',
    urge: '对该事件催办？',
    accept: '受理该事件？',
    note: '说明（可选）',
    ok: '确定',
    cancel: '取消',
    verifyPass: '核查通过，结案',
    verifyFail: '返工',
    reworkReason: '返工原因',
    needReason: '请填写返工原因',
  },
  conflict: '事件已被他人更新，已刷新，请重新操作',
  ranking: { title: '乡镇晾晒', empty: '暂无数据', score: '得分', rank: '名次', change: '变化', trend: '趋势', window: '考核区间' },
  trend: { reported: '上报', closed: '结案', onTimeCloseRate: '按期结案率' },
  legend: { statuses: '状态', warnings: '预警' },
  units: { minutes: '分钟', hours: '小时', days: '天' },
  map: { loading: '地图加载中…', failed: '地图数据加载失败，正在重试' },
  synthetic: '边界为演示用合成数据',
};

/** Minutes as a wall screen says them: 45分钟, 3.5小时, 2天3小时. */
export function formatMinutes(min: number): string {
  const m = Math.abs(Math.round(min));
  if (m < 60) return `${m}${T.units.minutes}`;
  if (m < 24 * 60) return `${Math.floor(m / 60)}${T.units.hours}${m % 60 ? `${m % 60}${T.units.minutes}` : ''}`;
  const d = Math.floor(m / 1440);
  const h = Math.floor((m % 1440) / 60);
  return `${d}${T.units.days}${h ? `${h}${T.units.hours}` : ''}`;
}

/** A rate 0–1 as a percentage, or "—" when there is none (an empty denominator). */
export function formatRate(rate: number | null | undefined): string {
  return rate === null || rate === undefined || !Number.isFinite(rate) ? '—' : `${(rate * 100).toFixed(1)}%`;
}

export function formatCount(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : n.toLocaleString('zh-CN');
}

const clock = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
/** HH:mm:ss on the Asia/Shanghai clock. */
export function formatClock(d: Date | string | null): string {
  if (!d) return T.never;
  return clock.format(typeof d === 'string' ? new Date(d) : d);
}

const dateFmt = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', year: 'numeric', month: 'long', day: 'numeric', weekday: 'short' });
export function formatDate(d: Date): string {
  return dateFmt.format(d);
}
