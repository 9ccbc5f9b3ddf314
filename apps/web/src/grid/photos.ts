/**
 * Photos are made smaller on the phone before they are kept and sent: the longer side at most 1600 px, JPEG at
 * quality 0.8 (a 12-megapixel camera photo of 3–5 MB becomes 200–500 KB), turned upright from its EXIF orientation.
 * The server re-encodes again and strips EXIF/GPS; this only saves the weak network's time.
 */
export const MAX_SIDE = 1600;
const QUALITY = 0.8;

export async function compressPhoto(file: Blob): Promise<Blob> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    // a format this browser cannot decode (e.g. HEIC on some phones): send it as it is, the server converts it
    return file;
  }
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const w = Math.max(1, Math.round(bitmap.width * scale));
  const h = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = document.createElement('canvas');
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d');
  if (!ctx) return file;
  ctx.fillStyle = '#fff'; // transparent PNG areas become white, not black
  ctx.fillRect(0, 0, w, h);
  ctx.drawImage(bitmap, 0, 0, w, h);
  bitmap.close();
  const out = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/jpeg', QUALITY));
  canvas.width = 0;
  canvas.height = 0;
  return out && (out.size < file.size || file.type !== 'image/jpeg') ? out : file;
}

/** Object URLs for Blobs shown on the page, released together when the view goes away. */
export class BlobUrls {
  private urls = new Map<Blob, string>();
  url(b: Blob): string {
    let u = this.urls.get(b);
    if (!u) {
      u = URL.createObjectURL(b);
      this.urls.set(b, u);
    }
    return u;
  }
  releaseAll(): void {
    for (const u of this.urls.values()) URL.revokeObjectURL(u);
    this.urls.clear();
  }
}
