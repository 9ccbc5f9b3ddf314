/**
 * Reference data the console reads once per page load: categories, the units it may dispatch to, the villages of the
 * township (for the filter), and the installation's web settings (optional tile layer).
 */
import type { CategoryList, CategoryView, UnitList, UnitView } from '@contracts/units';
import type { RegionTree, RegionView } from '@contracts/regions';
import type { WebConfig } from '@contracts/web';
import type { CalendarDayList } from '@contracts/admin';
import { shallowRef } from 'vue';
import type { WorkCalendar } from './time';
import { api, qs } from '@shared/api';
import { loadSession } from '@shared/session';

const once = <T>(load: () => Promise<T>): (() => Promise<T>) => {
  let p: Promise<T> | null = null;
  return () => {
    p ??= load().catch((e) => { p = null; throw e; });
    return p;
  };
};

/** The signed-in user (the page sends anyone without a session to the login page before it mounts). */
export const me = () => loadSession()!.user;

/**
 * The region the console is about: the user's township (a township dispatcher's jurisdiction; a township handler's
 * unit region), or the county for a county department's handler.
 */
export function homeRegion(): string {
  const code = me().regionCode;
  return code.length >= 9 ? code.slice(0, 9) : code;
}

export const categories = once(async (): Promise<CategoryView[]> =>
  (await api<CategoryList>('/categories')).items.filter((c) => c.isEvent));

/** Units of the caller's township (the API's default), active ones. */
export const units = once(async (): Promise<UnitView[]> => (await api<UnitList>('/units')).items.filter((u) => u.active));

/** Names of the township's and the county's units (for the timeline: escalations and county departments). */
export const unitNames = once(async (): Promise<Map<string, string>> => {
  const [own, county] = await Promise.all([
    units(),
    api<UnitList>(`/units${qs({ regionCode: homeRegion().slice(0, 6) })}`).then((l) => l.items, () => [] as UnitView[]),
  ]);
  return new Map([...county, ...own].map((u) => [u.code, u.name]));
});

/** The villages/communities of the home township (or the townships of the county). */
export const villages = once(async (): Promise<RegionView[]> =>
  (await api<RegionTree>(`/regions${qs({ parent: homeRegion() })}`)).items);

export const webConfig = once(() => api<WebConfig>('/web/config'));

/**
 * The county's working calendar (holidays, 调休 working days) for the countdowns, empty until loaded: until then, and
 * if it cannot be read, they count Monday to Friday (each answer of the API resets them anyway).
 */
export const workCalendar = shallowRef<WorkCalendar>(new Map());
export const loadWorkCalendar = once(async (): Promise<void> => {
  const { items } = await api<CalendarDayList>('/calendar');
  workCalendar.value = new Map(items.map((d) => [d.date, d.kind]));
});
