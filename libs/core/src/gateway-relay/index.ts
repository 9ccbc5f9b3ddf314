export * from './gateway-delivery.entity.js';
export * from './gateway-routing.js';
export * from './gateway-deliveries.repository.js';
export * from './gateway-deliveries-admin.service.js';
export * from './zwdd-todo.entity.js';
