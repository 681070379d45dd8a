// An author and their published posts, through a related manager.
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { User } from '@/lib/db';

export default async function AuthorPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const author = await User.objects.filter({ id: Number(id) || -1 }).first();
  if (!author) notFound();
  const posts = await User.related(author.id, 'posts').filter({ published: true });
  return (
    <main>
      <h1>{author.name}</h1>
      <p>
        {author.email} · member since {author.joined_at.toISOString().slice(0, 10)}
      </p>
      <ul>
        {posts.map((p) => (
          <li key={p.id}>
            <Link href={`/posts/${p.id}`}>{p.title}</Link>
          </li>
        ))}
      </ul>
    </main>
  );
}
