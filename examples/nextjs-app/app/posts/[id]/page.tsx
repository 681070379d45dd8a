// One post, with its author, comments and tags: four queries, no N+1.
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { DoesNotExist } from 'noormme';
import { Post } from '@/lib/db';
import { deletePost } from '../actions';

export default async function PostPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  let post;
  try {
    post = await Post.objects.prefetch('author', 'comments', 'tags').get({ id: Number(id) || -1 });
  } catch (e) {
    if (e instanceof DoesNotExist) notFound();
    throw e;
  }
  return (
    <article>
      <h1 data-testid="title">{post.title}</h1>
      <p>
        by <Link href={`/authors/${post.author_id}`}>{post.author?.name}</Link> on {post.created_at.toISOString().slice(0, 10)} ·{' '}
        {post.tags.map((t) => (
          <Link key={t.id} href={`/?tags__name=${encodeURIComponent(t.name)}`} style={{ marginRight: 6 }}>
            #{t.name}
          </Link>
        ))}
      </p>
      <p data-testid="body">{post.body}</p>
      <p>
        <Link href={`/posts/${post.id}/edit`}>Edit</Link>
      </p>
      <form action={deletePost}>
        <input type="hidden" name="id" value={post.id} />
        <button type="submit">Delete</button>
      </form>
      <h2>{post.comments.length} comments</h2>
      <ul>
        {post.comments.map((c) => (
          <li key={c.id}>
            {c.body} <small>({c.created_at.toISOString().slice(0, 10)})</small>
          </li>
        ))}
      </ul>
    </article>
  );
}
