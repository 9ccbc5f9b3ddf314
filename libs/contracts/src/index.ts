/** Shapes shared by the API, the worker, the web front end and other clients (no framework imports). */
export * from './schema.js';
export * from './problem.js';
export * from './events.js';
export * from './auth.js';
export * from './regions.js';
export * from './units.js';
export * from './admin.js';
export * from './attachments.js';
export * from './health.js';
export * from './live.js';
export * from './map.js';
export * from './admin-users.js';
export * from './labels.js';
export * from './web.js';
export * from './admin-reference.js';
export * from './admin-audit.js';
export * from './admin-regions.js';
