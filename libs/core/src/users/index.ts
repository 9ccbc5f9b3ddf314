export * from '../pii/pii-cipher.js';
export * from '../pii/personal-data.js';
export * from './placement.js';
export * from './user-admin.service.js';
export * from './users-admin.module.js';
export * from './roster.service.js';
