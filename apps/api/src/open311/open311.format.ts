import type { Response } from 'express';
import type { Open311ErrorItem } from '#core';

/** The formats GeoReport v2 answers in: XML (required by the spec) and JSON. */
export type Open311Format = 'json' | 'xml';

/** The element name of one item of each GeoReport list (Spark convention: `<services><service>…`). */
const ITEM_OF: Record<string, string> = {
  services: 'service', service_requests: 'request', errors: 'error', endpoints: 'endpoint', formats: 'format',
  attributes: 'attribute', values: 'value',
};

// XML 1.0 admits tab, line feed, carriage return and the characters from U+0020 (less the surrogates, U+FFFE/U+FFFF)
// eslint-disable-next-line no-control-regex
const NOT_XML_CHAR = /[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export function xmlText(value: string): string {
  return value.replace(NOT_XML_CHAR, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** One element: null is an empty element, a list holds one element per item, an object one element per field. */
export function xmlElement(name: string, value: unknown): string {
  if (value === null || value === undefined) return `<${name}/>`;
  if (Array.isArray(value)) {
    const item = ITEM_OF[name] ?? 'item';
    return value.length === 0 ? `<${name}/>` : `<${name}>${value.map((v) => xmlElement(item, v)).join('')}</${name}>`;
  }
  if (typeof value === 'object') {
    return `<${name}>${Object.entries(value as Record<string, unknown>).map(([k, v]) => xmlElement(k, v)).join('')}</${name}>`;
  }
  return `<${name}>${xmlText(String(value))}</${name}>`;
}

/** A whole GeoReport XML document: the declaration with its encoding, then the root element. */
export function xmlDocument(root: string, value: unknown): string {
  return `<?xml version="1.0" encoding="utf-8"?>\n${xmlElement(root, value)}\n`;
}

/** Writes an answer in the asked format (`root` names the XML root element; JSON is the value itself). */
export function sendOpen311(res: Response, format: Open311Format, status: number, root: string, value: unknown): void {
  res.status(status);
  res.setHeader('Cache-Control', 'no-store');
  // what the GETs answer is public (services, Open311 requests without personal data): readable by web apps of any origin
  if (res.req.method === 'GET' || res.req.method === 'HEAD') res.setHeader('Access-Control-Allow-Origin', '*');
  if (format === 'json') res.type('application/json; charset=utf-8').send(JSON.stringify(value));
  else res.type('text/xml; charset=utf-8').send(xmlDocument(root, value));
}

export function sendOpen311Errors(res: Response, format: Open311Format, status: number, errors: Open311ErrorItem[]): void {
  sendOpen311(res, format, status, 'errors', errors);
}

/**
 * The format a request path asks for (`….json` or `….xml`, the last suffix of the path); XML when there is none, the
 * spec's required format — so an error about the URL itself is still a GeoReport answer.
 */
export function formatOfPath(path: string): Open311Format {
  return /\.json$/i.test(path.split('?')[0]!) ? 'json' : 'xml';
}
