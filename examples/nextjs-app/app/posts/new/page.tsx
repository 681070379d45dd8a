import { connection } from 'next/server';
import { User } from '@/lib/db';
import { createPost } from '../actions';
import PostForm from '../PostForm';

export default async function NewPostPage() {
  await connection();
  const authors = await User.objects.orderBy('name').values('id', 'name');
  return (
    <main>
      <h1>New post</h1>
      <PostForm action={createPost} authors={authors} submitLabel="Publish" />
    </main>
  );
}
