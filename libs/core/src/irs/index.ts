export * from './irs-codes.js';
export * from './irs-masking.js';
export * from './irs-config.js';
export * from './irs.service.js';
export * from './irs.module.js';
