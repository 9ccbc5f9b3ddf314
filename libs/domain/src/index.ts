export * from './coords.js';
export * from './calendar.js';
export * from './sla.js';
export * from './workflow.js';
export * from './sla-policy.js';
export * from './geometry.js';
export * from './facts.js';
