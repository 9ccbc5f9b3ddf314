/**
 * Leaflet layers of the township map: the region boundaries that are the base map on a network without tiles
 * (township, village/community and grid polygons from GET /map/regions), and the event features of GET /map/events
 * (hierarchy bubbles, map cells, single events) drawn as markers.
 */
import L from 'leaflet';
import type { MapEvents } from '@contracts/map';
import type { RegionFeature, RegionMap } from '@contracts/regions';
import { STATUS_LABELS, WARNING_LABELS } from '@contracts/labels';

export type RegionLevel = 'township' | 'village' | 'grid';

/** The boundaries' own pane, under Leaflet's overlay pane (400) where the event markers are drawn. */
export const BOUNDARY_PANE = 'tw-boundaries';

export function addBoundaryPane(map: L.Map): void {
  if (!map.getPane(BOUNDARY_PANE)) map.createPane(BOUNDARY_PANE).style.zIndex = '350';
}

const BOUNDARY_STYLE: Record<RegionLevel, L.PathOptions> = {
  township: { color: '#5b6b7f', weight: 1.5, fill: true, fillColor: '#eef1f5', fillOpacity: 0.6 },
  village: { color: '#7a8aa0', weight: 1.2, fill: true, fillColor: '#ffffff', fillOpacity: 0.35 },
  grid: { color: '#9aa8ba', weight: 0.8, dashArray: '3 4', fill: false },
};

/**
 * A boundary layer of one level. `home` (a region code) is drawn stronger: the user's own township among the county's.
 * Polygons do not take clicks (the events above them do); names show as tooltips where `labels` is set.
 */
export function boundaryLayer(map: RegionMap, level: RegionLevel, opts: { home?: string; labels?: boolean } = {}): L.GeoJSON {
  return L.geoJSON(map as unknown as GeoJSON.FeatureCollection, {
    interactive: false,
    pane: BOUNDARY_PANE,
    style: (f) => {
      const code = (f?.properties as RegionFeature['properties'] | undefined)?.code ?? '';
      const base: L.PathOptions = { ...BOUNDARY_STYLE[level], className: `tw-boundary tw-boundary--${level}` };
      if (level === 'township' && opts.home) {
        return code === opts.home
          ? { ...base, color: '#2f5597', weight: 2.5, fillColor: '#ffffff', fillOpacity: 0.15 }
          : { ...base, fillOpacity: 0.75 };
      }
      return base;
    },
    onEachFeature: (f, layer) => {
      if (!opts.labels) return;
      const p = f.properties as RegionFeature['properties'];
      // a little below the middle: an event bubble often sits at the middle of its village
      layer.bindTooltip(p.name, { permanent: true, direction: 'center', offset: [0, 18], className: `tw-region-label tw-region-label--${level}`,
        interactive: false, pane: BOUNDARY_PANE });
    },
  });
}

/** The bounds of the feature with `code` in a region map, if present. */
export function boundsOf(map: RegionMap | null, code: string): L.LatLngBounds | null {
  const f = map?.features.find((x) => x.properties.code === code);
  if (!f) return null;
  return L.geoJSON(f as unknown as GeoJSON.Feature).getBounds();
}

export const STATUS_COLOURS: Record<string, string> = {
  reported: '#e6a23c', accepted: '#409eff', dispatched: '#7e57c2', handling: '#1e88e5', handled: '#26a69a',
  suspended: '#909399', closed: '#67c23a', rejected: '#b0b3b8', merged: '#b0b3b8',
};
export const WARNING_COLOURS: Record<string, string> = { none: '#ffffff', yellow: '#f5c400', red: '#e53935' };

export interface FeatureHandlers {
  /** A single event was clicked. */
  onEvent: (id: string) => void;
  /** A bubble or cell was clicked: zoom into it. */
  onCluster: (target: { bounds?: L.LatLngBounds; center: L.LatLng; regionCode?: string }) => void;
}

function bubbleIcon(count: number, red: number, yellow: number, label?: string): L.DivIcon {
  const size = count >= 1000 ? 54 : count >= 100 ? 46 : count >= 10 ? 38 : 32;
  const tone = red > 0 ? 'red' : yellow > 0 ? 'yellow' : 'none';
  const name = label ? `<small>${escapeHtml(label)}</small>` : '';
  return L.divIcon({
    className: `tw-bubble tw-bubble--${tone}`,
    html: `<b>${count}</b>${name}`,
    iconSize: [size, size],
  });
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The layer of GET /map/events answers: redrawing keeps the markers whose feature did not change. */
export interface EventLayer {
  group: L.LayerGroup;
  draw: (answer: MapEvents, handlers: FeatureHandlers, selectedId: string | null) => void;
}

/**
 * Markers are kept across answers while their feature is the same (same event and look, same bubble and counts), so a
 * refresh after a live change does not replace the marker under the user's pointer (a click on it would be lost).
 */
export function eventLayer(): EventLayer {
  const group = L.layerGroup();
  let drawn = new Map<string, L.Layer>();
  let current: FeatureHandlers | null = null;
  const draw = (answer: MapEvents, handlers: FeatureHandlers, selectedId: string | null) => {
    current = handlers;
    const next = new Map<string, L.Layer>();
    for (const f of answer.features) {
      const p = f.properties;
      const key = p.kind === 'event'
        ? `e|${p.id}|${p.status}|${p.warning}|${p.id === selectedId}|${f.geometry.coordinates.join(',')}`
        : `${p.kind}|${p.kind === 'cell' ? p.bbox.join(',') : p.code}|${p.count}|${p.byWarning.red}|${p.byWarning.yellow}`;
      const kept = drawn.get(key);
      if (kept) { next.set(key, kept); drawn.delete(key); continue; }
      const marker = featureMarker(f, () => current!, selectedId);
      // tagged whenever Leaflet (re)creates its element (a layer taken off the map and back gets a new one)
      marker.on('add', () => tag(marker, f));
      next.set(key, marker.addTo(group));
    }
    for (const gone of drawn.values()) group.removeLayer(gone);
    drawn = next;
  };
  return { group, draw };
}

type Feature = MapEvents['features'][number];

function tag(layer: L.Layer, f: Feature): void {
  const el = (layer as L.Marker | L.CircleMarker).getElement?.();
  if (!el) return;
  const p = f.properties;
  if (p.kind === 'event') {
    el.setAttribute('data-test', 'map-event');
    el.setAttribute('data-id', p.id);
  } else {
    el.setAttribute('data-test', 'map-cluster');
    el.setAttribute('data-count', String(p.count));
  }
}

function featureMarker(f: Feature, handlers: () => FeatureHandlers, selectedId: string | null): L.Layer {
  const [lng, lat] = f.geometry.coordinates;
  const at = L.latLng(lat, lng);
  const p = f.properties;
  if (p.kind === 'event') {
    const marker = L.circleMarker(at, {
      radius: p.id === selectedId ? 10 : 7,
      color: p.warning === 'none' ? '#ffffff' : WARNING_COLOURS[p.warning],
      weight: p.warning === 'none' ? 1.5 : 3,
      fillColor: STATUS_COLOURS[p.status] ?? '#409eff',
      fillOpacity: 0.95,
      bubblingMouseEvents: false,
    });
    marker.bindTooltip(`${p.code} · ${STATUS_LABELS[p.status]}${p.warning !== 'none' ? ` · ${WARNING_LABELS[p.warning]}` : ''}`);
    marker.on('click', () => handlers().onEvent(p.id));
    return marker;
  }
  // village polygons carry their names already; a township bubble (a county-wide view) names its township
  const label = p.kind === 'region' && p.level === 'township' ? p.name : undefined;
  const marker = L.marker(at, { icon: bubbleIcon(p.count, p.byWarning.red, p.byWarning.yellow, label), keyboard: false });
  const statuses = Object.entries(p.byStatus).filter(([, n]) => n).map(([st, n]) => `${STATUS_LABELS[st as keyof typeof STATUS_LABELS]} ${n}`);
  const cards = [p.byWarning.red ? `${WARNING_LABELS.red} ${p.byWarning.red}` : '', p.byWarning.yellow ? `${WARNING_LABELS.yellow} ${p.byWarning.yellow}` : ''].filter(Boolean);
  marker.bindTooltip(`${p.kind === 'region' ? `${p.name} · ` : ''}${p.count} 件<br>${[...statuses, ...cards].join('，')}`, { direction: 'top', offset: [0, -14] });
  marker.on('click', () => {
    if (p.kind === 'cell') {
      const [x1, y1, x2, y2] = p.bbox;
      handlers().onCluster({ bounds: L.latLngBounds([y1, x1], [y2, x2]), center: at });
    } else {
      handlers().onCluster({ center: at, regionCode: p.code });
    }
  });
  return marker;
}
