// The post list: search, filters and ordering from the URL. Only the
// parameters PostFilter declares act (django-filter's FilterSet): a URL can
// filter by these fields and nothing else (`?utm_source=` or a guessed
// relation path like `author__email__startswith` is ignored), and a value
// that does not convert shows its message and an empty list, never a wider one.
import Link from 'next/link';
import { connection } from 'next/server';
import { Suspense } from 'react';
import { Q } from 'noormme';
import { Post } from '@/lib/db';

const PAGE_SIZE = 10;
const MAX_PAGE = 10_000;

const PostFilter = Post.filterSet({
  fields: {
    title: ['icontains'],
    author: ['exact'],
    author__name: ['icontains'],
    tags__name: ['exact', 'in'],
    created_at: ['year', 'gte', 'lte'],
    views: ['gte'],
  },
  orderBy: ['created_at', 'views', 'title'], // ?o=-views
});

type Search = Record<string, string | string[] | undefined>;

// The shell renders at once; the list streams in. Reading the request (and
// the database) inside <Suspense> is what Next.js requires with
// cacheComponents on, and works the same with it off.
export default function PostsPage({ searchParams }: { searchParams: Promise<Search> }) {
  return (
    <main>
      <h1>Posts</h1>
      <Suspense fallback={<p>Loading posts…</p>}>
        <PostList searchParams={searchParams} />
      </Suspense>
    </main>
  );
}

async function PostList({ searchParams }: { searchParams: Promise<Search> }) {
  await connection(); // render per request: the queries never run at build time
  const params = await searchParams;
  const asked = Math.min(MAX_PAGE, Math.max(1, Math.trunc(Number(params.page)) || 1));
  const q = typeof params.q === 'string' ? params.q : '';

  let published = Post.objects.filter({ published: true });
  if (q) published = published.filter(Q.or({ title__icontains: q }, { body__icontains: q }));
  const { qs, errors, data } = PostFilter.apply(params, published);
  const list = data.o ? qs : qs.orderBy('-created_at', '-id');
  const total = await qs.count();
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  // Past the end is the last page, as Django's Paginator.get_page answers.
  const page = Math.min(asked, pages);
  const posts = await list.selectRelated('author').slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
  const error = Object.entries(errors).map(([name, message]) => `${name}: ${message}`).join(' ');

  // Links keep the declared parameters (and the search) as the request gave them.
  const kept = new URLSearchParams();
  for (const name of [...PostFilter.params, 'q']) {
    for (const value of [params[name] ?? []].flat()) if (value) kept.append(name, value);
  }
  const link = (p: number) => `/?${new URLSearchParams([...kept, ['page', String(p)]])}`;
  const order = typeof params.o === 'string' ? params.o : '-created_at';

  return (
    <>
      <form method="get" style={{ display: 'flex', gap: '0.5rem', marginBottom: '1rem' }}>
        <input name="q" defaultValue={q} placeholder="Search titles and text" aria-label="Search" />
        <select name="o" defaultValue={order} aria-label="Order">
          <option value="-created_at">Newest</option>
          <option value="-views">Most viewed</option>
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
    </>
  );
}
