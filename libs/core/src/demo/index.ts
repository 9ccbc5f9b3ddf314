/** The living demo's pure parts: randomness, templates and the plan (the worker's generator carries them out). */
export * from './demo-random.js';
export * from './demo-templates.js';
export * from './demo-plan.js';
