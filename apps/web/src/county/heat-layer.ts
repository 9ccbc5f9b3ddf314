/**
 * A heatmap layer drawn on one canvas (no extra package): each weighted cell of GET /map/heat is stamped as a blurred
 * disc whose opacity grows with its weight, and the summed opacity is then coloured through a blue → yellow → red
 * ramp (the usual two-pass heatmap). The canvas covers the map's container and is redrawn after every move and zoom;
 * it is hidden while a zoom animates (it would be drawn for the old scale).
 */
import L from 'leaflet';

const RAMP: [number, string][] = [[0.0, 'rgba(0,0,255,0)'], [0.25, '#2563eb'], [0.45, '#06b6d4'], [0.6, '#22c55e'], [0.75, '#facc15'], [0.9, '#f97316'], [1.0, '#ef4444']];

function palette(): Uint8ClampedArray {
  const c = document.createElement('canvas');
  c.width = 256;
  c.height = 1;
  const g = c.getContext('2d')!;
  const grad = g.createLinearGradient(0, 0, 256, 0);
  for (const [stop, colour] of RAMP) grad.addColorStop(stop, colour);
  g.fillStyle = grad;
  g.fillRect(0, 0, 256, 1);
  return g.getImageData(0, 0, 256, 1).data;
}

export class HeatLayer extends L.Layer {
  private canvas: HTMLCanvasElement | null = null;
  private cells: [number, number, number][] = [];
  private max = 1;
  private cellSize = 0;
  private ramp: Uint8ClampedArray | null = null;
  private stamps = new Map<number, HTMLCanvasElement>();

  constructor(private readonly paneName: string) {
    super({ pane: paneName } as L.LayerOptions);
  }

  /** New data: cells [lng, lat, weight], the largest weight, and the side of a cell in degrees. */
  setData(cells: [number, number, number][], max: number, cellSize: number): void {
    this.cells = cells;
    this.max = Math.max(1, max);
    this.cellSize = cellSize;
    this.redraw();
  }

  override onAdd(map: L.Map): this {
    const canvas = L.DomUtil.create('canvas', 'cm-heat') as HTMLCanvasElement;
    canvas.dataset.test = 'heat-canvas';
    canvas.style.pointerEvents = 'none';
    this.canvas = canvas;
    map.getPane(this.paneName)!.appendChild(canvas);
    map.on('moveend resize', this.redraw, this);
    map.on('zoomstart', this.hide, this);
    this.redraw();
    return this;
  }

  override onRemove(map: L.Map): this {
    map.off('moveend resize', this.redraw, this);
    map.off('zoomstart', this.hide, this);
    this.canvas?.remove();
    this.canvas = null;
    return this;
  }

  private hide(): void {
    if (this.canvas) this.canvas.style.visibility = 'hidden';
  }

  private stamp(radius: number): HTMLCanvasElement {
    let s = this.stamps.get(radius);
    if (s) return s;
    // a blurred disc, drawn off-canvas with its shadow falling on the canvas (sharper blur than a radial gradient)
    s = document.createElement('canvas');
    const blur = radius * 0.85;
    const r = radius + blur;
    s.width = s.height = r * 2;
    const g = s.getContext('2d')!;
    g.shadowOffsetX = g.shadowOffsetY = r * 2;
    g.shadowBlur = blur;
    g.shadowColor = 'black';
    g.beginPath();
    g.arc(-r, -r, radius, 0, Math.PI * 2, true);
    g.closePath();
    g.fill();
    this.stamps.set(radius, s);
    return s;
  }

  private redraw(): void {
    const map = this._map as L.Map | undefined;
    const canvas = this.canvas;
    if (!map || !canvas) return;
    const size = map.getSize();
    L.DomUtil.setPosition(canvas, map.containerPointToLayerPoint([0, 0]));
    canvas.width = size.x;
    canvas.height = size.y;
    canvas.style.visibility = 'visible';
    const g = canvas.getContext('2d', { willReadFrequently: true })!;
    g.clearRect(0, 0, size.x, size.y);
    if (!this.cells.length) return;
    // the radius follows the cell's size on screen, so the heat keeps its shape across zooms
    const a = map.latLngToContainerPoint([0, 0]);
    const b = map.latLngToContainerPoint([0, this.cellSize]);
    const cellPx = Math.max(4, Math.abs(b.x - a.x));
    const radius = Math.round(Math.min(60, Math.max(6, cellPx * 0.9)));
    const stamp = this.stamp(radius);
    const half = stamp.width / 2;
    for (const [lng, lat, w] of this.cells) {
      const p = map.latLngToContainerPoint([lat, lng]);
      if (p.x < -half || p.y < -half || p.x > size.x + half || p.y > size.y + half) continue;
      // square root: a few very dense cells should not wash out the rest of the county
      g.globalAlpha = Math.min(1, 0.08 + 0.92 * Math.sqrt(w / this.max));
      g.drawImage(stamp, p.x - half, p.y - half);
    }
    this.ramp ??= palette();
    const img = g.getImageData(0, 0, size.x, size.y);
    const px = img.data;
    const ramp = this.ramp;
    for (let i = 3; i < px.length; i += 4) {
      const alpha = px[i]!;
      if (!alpha) continue;
      const j = alpha * 4;
      px[i - 3] = ramp[j]!;
      px[i - 2] = ramp[j + 1]!;
      px[i - 1] = ramp[j + 2]!;
      px[i] = Math.min(230, alpha * 1.6);
    }
    g.putImageData(img, 0, 0);
  }
}
