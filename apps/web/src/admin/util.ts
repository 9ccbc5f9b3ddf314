/** Helpers of the administration console: downloads, messages, dates. */
import { ElMessage } from 'element-plus';
import { ApiError } from '@shared/api';
import { loadSession, refreshAccess, toLogin } from '@shared/session';

/** Shows an API error (the fields it names) or any other failure as a message. */
export function fail(e: unknown): void {
  const text = e instanceof ApiError ? `操作失败（${e.status}）：${e.message}` : `操作失败：${e instanceof Error ? e.message : String(e)}`;
  ElMessage({ type: 'error', message: text, duration: 6000, showClose: true });
}

export function done(text: string): void {
  ElMessage({ type: 'success', message: text });
}

/** Downloads a file from the API with the session's token (a Blob URL: the token never appears in a URL). */
export async function download(path: string, fileName: string): Promise<void> {
  const session = loadSession();
  if (!session) toLogin();
  const get = (token: string) => fetch(`/api/v1${path}`, { headers: { Authorization: `Bearer ${token}` } });
  let res = await get(session!.accessToken);
  if (res.status === 401) res = await get(await refreshAccess(session!.accessToken));
  if (!res.ok) {
    let problem = null;
    try { problem = await res.json(); } catch { /* not JSON */ }
    throw new ApiError(res.status, problem);
  }
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

const fmt = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit',
  minute: '2-digit', second: '2-digit', hour12: false });
/** An instant in Beijing time. */
export const beijing = (iso: string | null) => (iso ? fmt.format(new Date(iso)) : '');

export const UNIT_TYPE_LABELS: Record<string, string> = {
  county_centre: '县社会治理中心', county_department: '县级部门', township_centre: '乡镇指挥室', township_platform: '乡镇平台',
  township_station: '乡镇站所', grid_team: '网格',
};
