'use strict';
// Seeds data/blog.sqlite (the blog and the Auth.js tables) unless it exists.
// `node scripts/seed.js --force` rebuilds it; NOORMME_DATABASE overrides the path.
const fs = require('node:fs');
const path = require('node:path');
const { NOORMME } = require('noormme');
const { applyAuthSchema } = require('noormme/adapters/auth');
const { seed } = require('../../seed');

const file = process.env.NOORMME_DATABASE ?? path.join(__dirname, '..', 'data', 'blog.sqlite');

(async () => {
  if (fs.existsSync(file) && !process.argv.includes('--force')) {
    console.log(`database ready: ${file}`);
    return;
  }
  await seed(file);
  const db = new NOORMME({ database: file });
  await applyAuthSchema(db);
  db.close();
  console.log(`seeded ${file}`);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
