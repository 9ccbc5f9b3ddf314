/**
 * The Chinese names every screen shows for the workflow's codes (状态, 动作, 预警, 层级, 来源, 角色). Plain constants with no
 * imports, so the web pages can load them without any server code; the maps are typed against the domain's lists, so
 * a code added there and not named here fails the type check.
 */
import type { ActionType, EventStatus, Level, Role, Stage, Warning } from '../../domain/src/workflow.js';

export const STATUS_LABELS: Record<EventStatus, string> = {
  reported: '待受理',
  accepted: '已受理',
  dispatched: '待签收',
  handling: '处置中',
  handled: '待核查',
  closed: '已结案',
  rejected: '已作废',
  merged: '已合并',
  suspended: '已挂起',
};

export const ACTION_LABELS: Record<ActionType | 'report', string> = {
  report: '上报',
  accept: '受理',
  reject: '作废',
  merge: '合并',
  dispatch: '派遣',
  sign: '签收',
  return: '退回',
  feedback: '反馈',
  verify: '核查',
  escalate: '上报县级',
  suspend: '挂起',
  resume: '恢复',
  request_extension: '延期申请',
  approve_extension: '延期审批',
  urge: '催办',
  supervise: '督办',
  rate: '评价',
  warn: '预警',
};

export const WARNING_LABELS: Record<Warning, string> = { none: '正常', yellow: '黄牌', red: '红牌' };

export const LEVEL_LABELS: Record<Level, string> = { village: '村社区', township: '乡镇', county: '县级' };

export const STAGE_LABELS: Record<Stage, string> = { accept: '受理', dispatch: '派遣', sign: '签收', handle: '处置', verify: '核查' };

export const URGENCY_LABELS: Record<'normal' | 'urgent', string> = { normal: '一般', urgent: '紧急' };
/** 复杂程度 (the tier beside urgency; an urgent case is 紧急 whatever its tier). */
export const COMPLEXITY_LABELS: Record<'ordinary' | 'complex', string> = { ordinary: '一般', complex: '复杂' };

export const SOURCE_LABELS: Record<'grid' | 'hotline12345' | 'zlb' | 'province' | 'open311' | 'staff', string> = {
  grid: '网格上报',
  hotline12345: '12345热线',
  zlb: '浙里办',
  province: '省平台',
  open311: 'Open311',
  staff: '工作人员',
};

export const ROLE_LABELS: Record<Role, string> = {
  grid_worker: '网格员',
  township_dispatcher: '乡镇调度员',
  handler: '处置人员',
  county_operator: '县中心坐席',
  county_leader: '县领导',
  admin: '系统管理员',
};

/** 1–5 score → 回访 rating as practice has it (5–4 满意, 3 基本满意, 2–1 不满意). */
export function ratingLabel(score: number): string {
  return score >= 4 ? '满意' : score === 3 ? '基本满意' : '不满意';
}
