export * from './auth.js';
export * from './errors.js';
export * from './fields.js';
export * from './health.js';
export * from './limits.js';
export * from './routes.js';
export * from './users.js';
