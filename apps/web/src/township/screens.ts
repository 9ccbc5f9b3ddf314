/**
 * Two screens (双屏): the desk window and a map-only window (?view=map) of the same user talk over a BroadcastChannel.
 * The desk tells the map what is selected and which filters apply; the map tells the desk which event was clicked.
 */
import type { Filters } from './queue';
import { me } from './refdata';

export type ScreenMessage =
  | { type: 'hello' } // a map window opened: the desk answers with its state
  | { type: 'bye' } // the map window closed
  | { type: 'state'; filters: Filters; selected: { id: string; lng: number; lat: number } | null }
  | { type: 'select'; id: string };

export function screenChannel(onMessage: (m: ScreenMessage) => void): { post: (m: ScreenMessage) => void; close: () => void } {
  if (typeof BroadcastChannel === 'undefined') return { post: () => undefined, close: () => undefined };
  const ch = new BroadcastChannel(`grid141.township.${me().id}`);
  ch.onmessage = (e: MessageEvent<ScreenMessage>) => onMessage(e.data);
  return { post: (m) => ch.postMessage(JSON.parse(JSON.stringify(m))), close: () => ch.close() };
}
