/**
 * What the grid worker's phone keeps (IndexedDB, database `grid141-grid`):
 * - `outbox`: reports captured and not yet answered definitively, with their photos as Blobs and the ids of the photos
 *   already uploaded (a retry never uploads a photo twice). A record leaves only on 201/200 (sent) or is marked failed
 *   on a definitive 4xx (shown with the reason, to fix or discard).
 * - `sent`: the reports sent from this phone with their photos, to show them until the API gives photo links.
 * - `kv`: what the form needs offline (categories, the grid's polygons, the last list of events).
 */
import { openDB } from 'idb';
import type { DBSchema, IDBPDatabase } from 'idb';
import type { ReportEventRequest } from '@contracts/events';

export interface OutboxPhoto {
  key: string;
  /** before: 现场照片; after: 处置后照片 (已就地处置). */
  kind: 'before' | 'after';
  blob: Blob;
  /** The attachment id once uploaded (kept, so a retry does not upload it again). */
  uploadedId: string | null;
}

export interface OutboxRecord {
  /** The report's UUID v7, minted when it was captured. */
  id: string;
  userId: string;
  capturedAt: string;
  request: Omit<ReportEventRequest, 'attachmentIds'>;
  photos: OutboxPhoto[];
  /** waiting: to be sent (again); failed: refused by the server (a definitive 4xx), waiting for the user. */
  state: 'waiting' | 'failed';
  /** failed: the server's reason; waiting: why the last attempt did not get through. */
  error: string | null;
  /** The HTTP status of a refusal (409: the id is taken, a fix needs a new one). */
  errorStatus: number | null;
  attempts: number;
  lastTriedAt: string | null;
  /** For the list: the category's names. */
  categoryLabel: string;
}

export interface SentRecord {
  id: string;
  userId: string;
  code: string;
  sentAt: string;
  photos: Array<Pick<OutboxPhoto, 'key' | 'kind' | 'blob'>>;
}

interface GridDb extends DBSchema {
  outbox: { key: string; value: OutboxRecord; indexes: { byUser: string } };
  sent: { key: string; value: SentRecord; indexes: { byUser: string } };
  kv: { key: string; value: unknown };
}

let dbp: Promise<IDBPDatabase<GridDb>> | null = null;
function db(): Promise<IDBPDatabase<GridDb>> {
  dbp ??= openDB<GridDb>('grid141-grid', 1, {
    upgrade(d) {
      d.createObjectStore('outbox', { keyPath: 'id' }).createIndex('byUser', 'userId');
      d.createObjectStore('sent', { keyPath: 'id' }).createIndex('byUser', 'userId');
      d.createObjectStore('kv');
    },
  });
  return dbp;
}

/** The user's outbox, oldest first (UUID v7 ids sort by capture time). */
export async function listOutbox(userId: string): Promise<OutboxRecord[]> {
  const rows = await (await db()).getAllFromIndex('outbox', 'byUser', userId);
  return rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export async function getOutbox(id: string): Promise<OutboxRecord | undefined> {
  return (await db()).get('outbox', id);
}

export async function putOutbox(r: OutboxRecord): Promise<void> {
  await (await db()).put('outbox', r);
}

/** Changes a record that is still in the outbox (false when it has left it meanwhile). */
export async function updateOutbox(id: string, change: (r: OutboxRecord) => void): Promise<boolean> {
  const tx = (await db()).transaction('outbox', 'readwrite');
  const r = await tx.store.get(id);
  if (r) {
    change(r);
    await tx.store.put(r);
  }
  await tx.done;
  return r !== undefined;
}

export async function deleteOutbox(id: string): Promise<void> {
  await (await db()).delete('outbox', id);
}

/** The definitive answer "sent": the record leaves the outbox and its photos are kept with the event's code. */
export async function markSent(id: string, code: string): Promise<void> {
  const tx = (await db()).transaction(['outbox', 'sent'], 'readwrite');
  const r = await tx.objectStore('outbox').get(id);
  if (r) {
    await tx.objectStore('sent').put({
      id, userId: r.userId, code, sentAt: new Date().toISOString(), photos: r.photos.map(({ key, kind, blob }) => ({ key, kind, blob })),
    });
    await tx.objectStore('outbox').delete(id);
  }
  await tx.done;
}

export async function getSent(id: string): Promise<SentRecord | undefined> {
  return (await db()).get('sent', id);
}

/** Keeps the photos of the last `keep` reports sent by the user (the API's photo links take over after that). */
export async function pruneSent(userId: string, keep = 50): Promise<void> {
  const d = await db();
  const rows = (await d.getAllKeysFromIndex('sent', 'byUser', userId)).sort();
  for (const id of rows.slice(0, Math.max(0, rows.length - keep))) await d.delete('sent', id);
}

export async function kvGet<T>(key: string): Promise<T | undefined> {
  return (await (await db()).get('kv', key)) as T | undefined;
}

export async function kvSet(key: string, value: unknown): Promise<void> {
  await (await db()).put('kv', value, key);
}
