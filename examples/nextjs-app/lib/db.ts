// One NOORMME handle for the whole app. Opening the same file again (Next.js
// dev reloads this module on every edit) reuses the open pool.
import path from 'node:path';
import { NOORMME } from 'noormme';

export const db = new NOORMME({
  database: process.env.NOORMME_DATABASE ?? path.join(process.cwd(), 'data', 'blog.sqlite'),
});

export const Post = db.model('posts');
export const User = db.model('users');
export const Tag = db.model('tags');
