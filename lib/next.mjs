import next from './next.js';

export const { withNoormme } = next;
