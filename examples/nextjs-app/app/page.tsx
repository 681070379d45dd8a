// The post list: search, filters and ordering straight from the URL. The
// searchParams go into filter() as they are: keys are checked against the
// schema and values are always bound, so a hostile URL cannot reach the SQL.
import Link from 'next/link';
import { connection } from 'next/server';
import { FieldError, NoormmeError, Q } from 'noormme';
import { Post } from '@/lib/db';

const PAGE_SIZE = 10;
const RESERVED = new Set(['q', 'page', 'order']);

type Search = Record<string, string | string[] | undefined>;

export default async function PostsPage({ searchParams }: { searchParams: Promise<Search> }) {
  await connection(); // render per request: the queries never run at build time
  const params = await searchParams;
  const page = Math.max(1, Number(params.page) || 1);
  const q = typeof params.q === 'string' ? params.q : '';
  const order = params.order === 'views' ? '-views' : params.order === 'title' ? 'title' : '-created_at';
  const filters = Object.fromEntries(Object.entries(params).filter(([k, v]) => !RESERVED.has(k) && typeof v === 'string')) as Record<string, string>;

  let qs = Post.objects.filter({ published: true });
  let error: string | null = null;
  try {
    if (q) qs = qs.filter(Q.or({ title__icontains: q }, { body__icontains: q }));
    if (Object.keys(filters).length) qs = qs.filter(filters);
  } catch (e) {
    if (!(e instanceof FieldError) && !(e instanceof NoormmeError)) throw e;
    error = e.message;
  }
  const [posts, total] = await Promise.all([
    qs.orderBy(order, '-id').selectRelated('author').slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE),
    qs.count(),
  ]);
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const link = (p: number) => `/?${new URLSearchParams({ ...filters, ...(q ? { q } : {}), ...(params.order ? { order: String(params.order) } : {}), page: String(p) })}`;

  return (
    <main>
      <h1>Posts</h1>
      <form method="get" style={{ display: 'flex', gap: '0.5rem', marginBottom: '1rem' }}>
        <input name="q" defaultValue={q} placeholder="Search titles and text" aria-label="Search" />
        <select name="order" defaultValue={String(params.order ?? 'new')} aria-label="Order">
          <option value="new">Newest</option>
          <option value="views">Most viewed</option>
          <option value="title">Title</option>
        </select>
        <button type="submit">Search</button>
      </form>
      {error && <p role="alert" style={{ color: 'crimson' }}>{error}</p>}
      <p data-testid="total">{total} posts</p>
      <ul>
        {posts.map((post) => (
          <li key={post.id} data-testid="post">
            <Link href={`/posts/${post.id}`}>{post.title}</Link> by{' '}
            <Link href={`/authors/${post.author_id}`}>{post.author?.name}</Link> · {post.views} views
          </li>
        ))}
      </ul>
      <nav style={{ display: 'flex', gap: '1rem' }}>
        {page > 1 && <Link href={link(page - 1)}>Previous</Link>}
        <span>
          Page {page} of {pages}
        </span>
        {page < pages && <Link href={link(page + 1)}>Next</Link>}
      </nav>
    </main>
  );
}
