export * from './hotline-order.entity.js';
export * from './hotline.service.js';
export * from './hotline.module.js';
