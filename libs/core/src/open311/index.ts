export * from './open311.model.js';
export * from './open311.service.js';
export * from './open311-keys.service.js';
export * from './open311.module.js';
export * from './open311-client.entity.js';
export * from './open311-request.entity.js';
