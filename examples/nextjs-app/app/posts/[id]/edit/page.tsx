import { notFound } from 'next/navigation';
import { Post } from '@/lib/db';
import { updatePost } from '../../actions';
import PostForm from '../../PostForm';

export default async function EditPostPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const post = await Post.objects.filter({ id: Number(id) || -1 }).values('id', 'title', 'body').first();
  if (!post) notFound();
  return (
    <main>
      <h1>Edit post</h1>
      <PostForm action={updatePost} initial={post} submitLabel="Save" />
    </main>
  );
}
