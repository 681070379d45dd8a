import test from 'node:test';
import assert from 'node:assert/strict';
import noormme, { NOORMME, SqliteError } from 'noormme';

test('ESM import gives the same classes as require', async () => {
  assert.equal(noormme.NOORMME, NOORMME);
  const db = new NOORMME({ database: ':memory:' });
  assert.deepEqual(await db.query('SELECT 1 AS one'), [{ one: 1 }]);
  await assert.rejects(db.query('SELECT * FROM missing'), SqliteError);
  db.close();
});
