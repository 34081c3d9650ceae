// The core/v1 shapes, kept where the local runtime has always imported them from.
export * from '../api/core-v1.js';
