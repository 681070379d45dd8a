import adapter from './auth.js';

export const { NoormmeAdapter, AUTH_SCHEMA, applyAuthSchema } = adapter;
