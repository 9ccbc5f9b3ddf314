/**
 * Open311 GeoReport v2 (wiki.open311.org/GeoReport_v2): the answers' shapes, field for field as the spec names them, and
 * its error. The API writes them as JSON or XML (apps/api/src/open311); the JSON Schemas the conformance test checks them
 * against are in test/e2e/open311/schemas.
 */

/** The spec's identifier of this version, as service discovery names it. */
export const GEOREPORT_V2 = 'http://wiki.open311.org/GeoReport_v2';

export interface Open311Discovery {
  changeset: string;
  contact: string;
  key_service: string;
  endpoints: { specification: string; url: string; changeset: string; type: 'production' | 'test'; formats: string[] }[];
}

/** A service (a 小类 of the event categories). */
export interface Open311ServiceView {
  service_code: string;
  service_name: string;
  description: string | null;
  metadata: boolean;
  type: 'realtime' | 'batch' | 'blackbox';
  keywords: string | null;
  group: string | null;
}

export interface Open311ServiceDefinition {
  service_code: string;
  attributes: never[];
}

/** A service request (an event filed through Open311): public fields only, never the requester's contact. */
export interface Open311Request {
  service_request_id: string;
  status: 'open' | 'closed';
  status_notes: string | null;
  service_name: string | null;
  service_code: string;
  description: string | null;
  agency_responsible: string | null;
  service_notice: string | null;
  requested_datetime: string;
  updated_datetime: string | null;
  expected_datetime: string | null;
  address: string | null;
  address_id: string | null;
  zipcode: string | null;
  lat: number | null;
  long: number | null;
  media_url: string | null;
}

/** The answer to POST requests: this server files in real time, so the id is known at once (and a token is kept too). */
export interface Open311Created {
  service_request_id: string;
  token: string;
  service_notice: string | null;
  account_id: string | null;
}

export interface Open311Token {
  service_request_id: string;
  token: string;
}

/** One error of a GeoReport v2 error answer: `code` is the HTTP status unless a more specific one is useful. */
export interface Open311ErrorItem {
  code: number;
  description: string;
}

/**
 * A refusal in GeoReport v2 terms: 404 for what does not exist (jurisdiction, service_code, request, token), 403 for a
 * missing, wrong or revoked api_key, 400 for everything else (the spec's "general service error" included).
 */
export class Open311Error extends Error {
  readonly errors: Open311ErrorItem[];

  constructor(readonly status: 400 | 403 | 404, descriptions: string | string[]) {
    const list = Array.isArray(descriptions) ? descriptions : [descriptions];
    super(list.join('; '));
    this.errors = list.map((description) => ({ code: status, description }));
  }
}

/** The parameters of POST requests, as strings (form fields or JSON values). */
export type Open311Input = Record<string, string | undefined>;

/** The filters of GET requests, as received. */
export interface Open311RequestQuery {
  service_request_id?: string;
  service_code?: string;
  start_date?: string;
  end_date?: string;
  status?: string;
}
