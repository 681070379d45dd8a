// Compiled by `tsc` in `npm test`: the public types accept what the docs show
// and reject what they should.
import { NOORMME, SqliteError, BusyError, Count, Sum, Lower, F, type Row, type WriteResult } from '..';

async function usage(): Promise<void> {
  const db = new NOORMME({ database: './app.db', readers: 2, busyTimeout: 1000, pragmas: { foreign_keys: true } });
  const rows: Row[] = await db.query('SELECT * FROM users WHERE id = ?', [1]);
  const typed = await db.query<{ id: number; email: string }>('SELECT id, email FROM users');
  const email: string = typed[0].email;
  const w: WriteResult = await db.execute('INSERT INTO users(email) VALUES (:email)', { email });
  const big: number | bigint = w.lastInsertRowid;
  await db.sql`SELECT * FROM users WHERE email = ${email} AND created < ${new Date()}`;
  const n: number = await db.transaction(async (tx) => {
    await tx.execute('UPDATE users SET email = ? WHERE id = ?', ['x', 1n]);
    return tx.transaction(async () => 1);
  });
  try {
    await db.exec('CREATE TABLE t(x)');
  } catch (e) {
    if (e instanceof BusyError) console.log(e.rawCode);
    if (e instanceof SqliteError) console.log(e.code, e.sql);
  }
  // @ts-expect-error: objects other than Date/Buffer are not bindable
  await db.query('SELECT ?', [{ a: 1 }]);
  // @ts-expect-error: the database option is required
  new NOORMME({ readers: 2 });
  const annotated = await db.model('users').objects.annotate({ posts: Count('posts'), low: Lower('email') }).filter({ posts__gte: 2 }).orderBy('-posts');
  const count: number = annotated[0].posts;
  const totals = await db.model('users').objects.aggregate({ total: Sum(F('age')), n: Count() });
  const n2: number = totals.n;
  const Users = db.model('users');
  await Users.objects.bulkCreate([{ email: 'a@x' }], { batchSize: 100, updateConflicts: true, uniqueFields: ['email'], updateFields: ['name'] });
  const matched: number = await Users.objects.bulkUpdate([{ id: 1, name: 'A' }], ['name']);
  await db.model('posts').objects.filter({ author_id__in: Users.objects.filter({ name__startswith: 'A' }) }).only('title').defer('body');
  await Users.objects.orderBy(F('score').desc(), Lower('name'), '-id');
  // @ts-expect-error: bulkCreate options are checked
  await Users.objects.bulkCreate([], { batchSize: '10' });
  void rows, big, n, count, n2, matched;
  db.close();
}
void usage;
