/**
 * The county's live map (Leaflet, no base map needed): township and village polygons from the API are the base layer
 * (a tile layer only when the installation configures one), a choropleth of open/overdue events by township, the
 * events clustered by the 141 hierarchy (township → village bubbles → map cells → single events, as GET /map/events
 * answers for the zoom), and a heatmap. Each layer can be switched off, which takes its elements off the page.
 *
 * Markers are plain HTML (divIcons) built from the answer, carrying data-* attributes with their counts, so a screen
 * reader, a test or a screenshot sees exactly what the API said.
 */
import L from 'leaflet';
import type { MapEvents, MapEventPoint, MapHeat, MapRegionCluster, MapCellCluster } from '@contracts/map';
import type { RegionFeature, RegionMap } from '@contracts/regions';
import type { BBox, EventStatus } from './data';
import { HeatLayer } from './heat-layer';
import { STATUS_LABELS, WARNING_LABELS } from './strings';

export type LayerName = 'tiles' | 'choropleth' | 'village' | 'township' | 'heat' | 'clusters';
export const LAYER_ORDER: LayerName[] = ['township', 'village', 'choropleth', 'clusters', 'heat', 'tiles'];
export type ChoroplethMetric = 'open' | 'overdue';

/** Status colours (map markers, bars, legend). */
export const STATUS_COLOURS: Record<EventStatus, string> = {
  reported: '#3b82f6',
  accepted: '#22d3ee',
  dispatched: '#a78bfa',
  handling: '#2dd4bf',
  handled: '#a3e635',
  suspended: '#94a3b8',
  closed: '#4ade80',
  rejected: '#64748b',
  merged: '#78716c',
};
export const WARNING_COLOURS = { none: '#38bdf8', yellow: '#facc15', red: '#ef4444' } as const;
const STATUS_ORDER: EventStatus[] = ['reported', 'accepted', 'dispatched', 'handling', 'handled', 'suspended', 'closed', 'rejected', 'merged'];

/** Sequential ramps of the choropleth (5 classes), dark to bright on the dark screen. */
export const CHOROPLETH_RAMPS: Record<ChoroplethMetric, string[]> = {
  open: ['#0f2a4a', '#15406e', '#1d5a96', '#2777bd', '#3a97e0'],
  overdue: ['#3a1212', '#5e1919', '#8a2020', '#b82a2a', '#e23c3c'],
};

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const fmt = (n: number) => n.toLocaleString('zh-CN');

/** Class thresholds for a metric: 3 steps on a square-root scale up to the largest value (classes 0, 1–4). */
export function breaksFor(max: number): number[] {
  if (max <= 0) return [1, 1, 1];
  return [1, 2, 3].map((i) => Math.max(1, Math.ceil(max * (i / 4) ** 2)));
}
export function classOf(v: number, breaks: number[]): number {
  if (v <= 0) return 0;
  let i = 1;
  for (const t of breaks) if (v >= t) i++;
  return Math.min(4, i);
}
/** The legend of the classes that can occur: colour and value range. */
export function legendClasses(breaks: number[], colours: string[]): { colour: string; label: string }[] {
  const [a, b, c] = breaks as [number, number, number];
  const ranges: [number, number][] = [[0, 0], [1, a - 1], [a, b - 1], [b, c - 1], [c, Infinity]];
  return ranges.map(([lo, hi], i) => ({ colour: colours[i]!, lo, hi }))
    .filter((r) => r.lo <= r.hi)
    .map((r) => ({ colour: r.colour, label: r.hi === Infinity ? `≥${r.lo}` : r.lo === r.hi ? `${r.lo}` : `${r.lo}–${r.hi}` }));
}

export interface MapLegend {
  metric: ChoroplethMetric;
  breaks: number[];
  colours: string[];
  classes: { colour: string; label: string }[];
}

export interface CountyMapOptions {
  kiosk: boolean;
  tileUrl: string | null;
  tileAttribution: string | null;
  /** The viewport changed (after a move or zoom): fetch clusters and heat for it. */
  onView: () => void;
  /** The first clustered view is on the screen (for the benchmark: a performance mark). */
  onFirstClusters?: () => void;
}

export class CountyMap {
  readonly map: L.Map;
  private readonly visible = new Set<LayerName>(['township', 'village', 'choropleth', 'clusters']);
  private readonly groups: Record<Exclude<LayerName, 'heat'>, L.LayerGroup>;
  private readonly heat: HeatLayer;
  private tiles: L.TileLayer | null = null;
  private townshipShapes = new Map<string, { outline: L.GeoJSON; fill: L.GeoJSON; feature: RegionFeature }>();
  private villageCodes = new Set<string>();
  private countyBounds: L.LatLngBounds | null = null;
  private metric: ChoroplethMetric = 'open';
  private lastCounts = new Map<string, RegionFeature['properties']>();
  private firstClusters = false;
  private moveTimer: ReturnType<typeof setTimeout> | null = null;
  /** Padding of the fitted view: the panels overlaying the map's edges. */
  private readonly pad: { topLeft: L.Point; bottomRight: L.Point };

  constructor(el: HTMLElement, private readonly opts: CountyMapOptions) {
    // the free part of the screen: the queue on the left, ticker and ranking on the right, KPI (and filters) on top,
    // the legend at the bottom
    this.pad = { topLeft: L.point(450, opts.kiosk ? 180 : 220), bottomRight: L.point(490, 130) };
    this.map = L.map(el, {
      zoomControl: !opts.kiosk,
      attributionControl: false,
      // fractional zooms fit the county snugly; the map API gets the nearest integer zoom
      zoomSnap: 0.25,
      zoomDelta: 1,
      minZoom: 7,
      maxZoom: 18,
      // a wall screen: no inertia drift, no double-click surprises
      inertia: false,
      doubleClickZoom: !opts.kiosk,
      fadeAnimation: false,
    });
    if (!opts.kiosk) this.map.zoomControl.setPosition('bottomright');
    const pane = (name: string, z: number, events = false) => {
      const p = this.map.createPane(name);
      p.style.zIndex = String(z);
      if (!events) p.style.pointerEvents = 'none';
    };
    pane('cm-choropleth', 340);
    pane('cm-village', 360);
    pane('cm-township', 370);
    pane('cm-heat', 450);
    this.groups = {
      tiles: L.layerGroup(),
      choropleth: L.layerGroup(),
      village: L.layerGroup(),
      township: L.layerGroup(),
      clusters: L.layerGroup(),
    };
    for (const name of ['choropleth', 'village', 'township', 'clusters'] as const) this.groups[name].addTo(this.map);
    this.heat = new HeatLayer('cm-heat');
    if (opts.tileUrl) this.setTiles(opts.tileUrl, opts.tileAttribution);
    this.map.on('moveend', () => {
      if (this.moveTimer) clearTimeout(this.moveTimer);
      this.moveTimer = setTimeout(() => this.opts.onView(), 120);
    });
  }

  /** A base-map tile layer under the polygons (only when the installation configures a tile URL). */
  setTiles(url: string, attribution: string | null): void {
    if (this.tiles) return;
    this.tiles = L.tileLayer(url, { attribution: attribution ?? undefined, maxZoom: 18, className: 'cm-tiles' });
    this.tiles.addTo(this.groups.tiles);
    this.groups.tiles.addTo(this.map);
    this.visible.add('tiles');
    // a licensed base map (天地图) must show its attribution; the polygons alone need none
    if (attribution) L.control.attribution({ prefix: false, position: 'bottomleft' }).addAttribution(attribution).addTo(this.map);
  }

  get hasTiles(): boolean {
    return this.tiles !== null;
  }

  /** The map has a view (after the first fit): only then can it say what it shows. */
  get ready(): boolean {
    return (this.map as unknown as { _loaded?: boolean })._loaded === true;
  }

  isVisible(name: LayerName): boolean {
    return this.visible.has(name);
  }

  /** Shows or hides a layer: a hidden layer is removed from the map (its elements leave the page). */
  setVisible(name: LayerName, on: boolean): void {
    if (on === this.visible.has(name)) return;
    if (on) this.visible.add(name); else this.visible.delete(name);
    const layer: L.Layer = name === 'heat' ? this.heat : this.groups[name];
    if (on) layer.addTo(this.map); else layer.remove();
    if (name === 'heat' && on) this.opts.onView();
    // a path re-added to the map is a new element: put its data attributes back
    if (name === 'choropleth' && on) this.paintChoropleth();
  }

  /** The current viewport as the map API wants it (an integer zoom, the bbox clipped to sane values). */
  view(): { bbox: BBox; zoom: number } {
    const b = this.map.getBounds();
    const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
    return {
      bbox: [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -85, 85), clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -85, 85)],
      zoom: clamp(Math.round(this.map.getZoom()), 5, 18),
    };
  }

  /** The township polygons (and the first fit of the view to the county). */
  setTownships(regions: RegionMap): void {
    const first = this.townshipShapes.size === 0;
    this.groups.township.clearLayers();
    this.groups.choropleth.clearLayers();
    this.townshipShapes.clear();
    let bounds: L.LatLngBounds | null = null;
    for (const f of regions.features) {
      const code = f.properties.code;
      const outline = L.geoJSON(f as GeoJSON.Feature, {
        pane: 'cm-township', interactive: false,
        style: { className: 'cm-township', color: '#7dd3fc', weight: 1.6, opacity: 0.85, fill: false },
      });
      const fill = L.geoJSON(f as GeoJSON.Feature, {
        pane: 'cm-choropleth', interactive: false,
        style: { className: 'cm-choropleth', stroke: false, fillColor: CHOROPLETH_RAMPS.open[0], fillOpacity: 0.55 },
      });
      outline.addTo(this.groups.township);
      fill.addTo(this.groups.choropleth);
      this.townshipShapes.set(code, { outline, fill, feature: f });
      const fb = outline.getBounds();
      bounds = bounds ? bounds.extend(fb) : L.latLngBounds(fb.getSouthWest(), fb.getNorthEast());
    }
    this.countyBounds = bounds;
    this.setCounts(regions);
    // the first polygons fit the view (again, when it was fitted to remembered bounds: the same view unless they moved)
    if (first && bounds) this.fitCounty();
  }

  /** Fits a bbox (the county's, remembered from the last visit) into the free part of the screen. */
  fitBBox(b: BBox): void {
    this.map.fitBounds([[b[1], b[0]], [b[3], b[2]]], { paddingTopLeft: this.pad.topLeft, paddingBottomRight: this.pad.bottomRight, animate: false });
  }

  /** Fits the county (or a township) into the part of the screen the panels leave free. */
  fitCounty(townshipCode = ''): void {
    const shape = townshipCode ? this.townshipShapes.get(townshipCode) : null;
    const bounds = shape ? shape.outline.getBounds() : this.countyBounds;
    if (!bounds) return;
    this.map.fitBounds(bounds, { paddingTopLeft: this.pad.topLeft, paddingBottomRight: this.pad.bottomRight, animate: false });
  }

  /** The county's bounds as a bbox (for counts over the whole county). */
  countyBBox(): BBox | null {
    const b = this.countyBounds;
    return b ? [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()] : null;
  }

  townshipNames(): { code: string; name: string }[] {
    return [...this.townshipShapes.values()].map((s) => ({ code: s.feature.properties.code, name: s.feature.properties.name }));
  }

  /** Village polygons of one township (loaded after the first view; added to the village layer). */
  addVillages(regions: RegionMap): void {
    for (const f of regions.features) {
      if (this.villageCodes.has(f.properties.code)) continue;
      this.villageCodes.add(f.properties.code);
      L.geoJSON(f as GeoJSON.Feature, {
        pane: 'cm-village', interactive: false,
        style: { className: 'cm-village', color: '#38bdf8', weight: 0.7, opacity: 0.45, dashArray: '3 3', fill: false },
      }).addTo(this.groups.village);
    }
  }

  /** Choropleth counts per township (open, red = overdue) from GET /map/regions. */
  setCounts(regions: RegionMap): void {
    for (const f of regions.features) this.lastCounts.set(f.properties.code, f.properties);
    this.paintChoropleth();
  }

  setMetric(metric: ChoroplethMetric): void {
    this.metric = metric;
    this.paintChoropleth();
  }

  /** The class breaks of the current metric (for the legend). */
  legend(): MapLegend {
    const values = [...this.lastCounts.values()].map((p) => (this.metric === 'open' ? p.open : p.red));
    const breaks = breaksFor(Math.max(0, ...values));
    const colours = CHOROPLETH_RAMPS[this.metric];
    return { metric: this.metric, breaks, colours, classes: legendClasses(breaks, colours) };
  }

  private paintChoropleth(): void {
    const { breaks, colours } = this.legend();
    for (const [code, shape] of this.townshipShapes) {
      const p = this.lastCounts.get(code);
      const v = p ? (this.metric === 'open' ? p.open : p.red) : 0;
      shape.fill.setStyle({ fillColor: colours[classOf(v, breaks)], fillOpacity: v > 0 ? 0.6 : 0.35 });
      shape.fill.eachLayer((l) => {
        const el = (l as L.Path).getElement?.();
        if (!el) return;
        el.setAttribute('data-code', code);
        el.setAttribute('data-open', String(p?.open ?? 0));
        el.setAttribute('data-overdue', String(p?.red ?? 0));
      });
    }
  }

  /** Replaces the clusters with a map/events answer. */
  setClusters(answer: MapEvents): void {
    const group = this.groups.clusters;
    const markers: L.Marker[] = [];
    const max = Math.max(1, ...answer.features.map((f) => (f.properties.kind === 'event' ? 1 : f.properties.count)));
    for (const f of answer.features) {
      const [lng, lat] = f.geometry.coordinates as [number, number];
      const p = f.properties;
      const icon = p.kind === 'event' ? eventIcon(f as MapEventPoint) : bubbleIcon(f as MapRegionCluster | MapCellCluster, max);
      const marker = L.marker([lat, lng], { icon, keyboard: false, interactive: !this.opts.kiosk });
      // at the desk, a click on a bubble zooms in on it (the next level of the hierarchy)
      if (!this.opts.kiosk && p.kind !== 'event') marker.on('click', () => this.map.setView([lat, lng], Math.min(18, Math.floor(this.map.getZoom()) + 2)));
      markers.push(marker);
    }
    group.clearLayers();
    for (const m of markers) m.addTo(group);
    const el = this.map.getContainer();
    el.dataset.mode = answer.mode;
    el.dataset.total = String(answer.total);
    if (!this.firstClusters) {
      this.firstClusters = true;
      // the markers are in the DOM now; the next frame puts them on the screen
      requestAnimationFrame(() => this.opts.onFirstClusters?.());
    }
  }

  setHeat(answer: MapHeat): void {
    this.heat.setData(answer.cells as [number, number, number][], answer.max, answer.cellSize);
  }

  destroy(): void {
    this.map.remove();
  }
}

/** A hierarchy bubble or a map cell: the ring shows the warnings (normal, 黄牌, 红牌), the bar below the statuses. */
function bubbleIcon(f: MapRegionCluster | MapCellCluster, max: number): L.DivIcon {
  const p = f.properties;
  const d = Math.round(38 + 44 * Math.sqrt(p.count / max));
  const red = p.byWarning.red / p.count;
  const yellow = p.byWarning.yellow / p.count;
  const a = (red * 100).toFixed(1);
  const b = ((red + yellow) * 100).toFixed(1);
  const ring = `conic-gradient(${WARNING_COLOURS.red} 0 ${a}%, ${WARNING_COLOURS.yellow} ${a}% ${b}%, ${WARNING_COLOURS.none} ${b}% 100%)`;
  const bars = STATUS_ORDER.filter((s) => p.byStatus[s]).map((s) => {
    const n = p.byStatus[s]!;
    return `<i style="flex:${n};background:${STATUS_COLOURS[s]}" title="${STATUS_LABELS[s]} ${n}"></i>`;
  }).join('');
  const attrs = STATUS_ORDER.filter((s) => p.byStatus[s]).map((s) => ` data-${s}="${p.byStatus[s]}"`).join('');
  const name = p.kind === 'region' ? p.name : '';
  const code = p.kind === 'region' ? p.code : '';
  const w = Math.max(d, 118);
  const html = `<div class="cm-bubble${p.byWarning.red ? ' has-red' : ''}" data-test="cluster" data-kind="${p.kind === 'region' ? p.level : 'cell'}"`
    + ` data-code="${esc(code)}" data-count="${p.count}" data-red="${p.byWarning.red}" data-yellow="${p.byWarning.yellow}"${attrs}`
    + ` style="width:${w}px">`
    + `<div class="cm-ring" style="width:${d}px;height:${d}px;background:${ring}"><span class="cm-count${p.count >= 10_000 ? ' small' : ''}">${fmt(p.count)}</span></div>`
    + (name ? `<div class="cm-name">${esc(name)}</div>` : '')
    + `<div class="cm-bar" style="width:${Math.min(w, Math.max(60, d + 10))}px">${bars}</div></div>`;
  return L.divIcon({ html, className: 'cm-marker', iconSize: [w, d + (name ? 44 : 18)], iconAnchor: [w / 2, d / 2] });
}

/** A single event: the dot in its status colour, the halo in its warning colour (红牌 pulses). */
function eventIcon(f: MapEventPoint): L.DivIcon {
  const p = f.properties;
  const html = `<div class="cm-event w-${p.warning}${p.urgency === 'urgent' ? ' urgent' : ''}" data-test="event-marker" data-id="${p.id}"`
    + ` data-code="${esc(p.code)}" data-status="${p.status}" data-warning="${p.warning}"`
    + ` title="${esc(p.code)} ${STATUS_LABELS[p.status]} ${WARNING_LABELS[p.warning]}" style="background:${STATUS_COLOURS[p.status]}"></div>`;
  return L.divIcon({ html, className: 'cm-marker', iconSize: [18, 18], iconAnchor: [9, 9] });
}
