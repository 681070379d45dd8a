'use server';
// Server Actions for posts: validated on the server, errors returned to the
// form next to their fields, then the list is revalidated.
import { revalidatePath } from 'next/cache';
import { redirect } from 'next/navigation';
import { Post, User } from '@/lib/db';

export type FormState = { errors: Partial<Record<'title' | 'body' | 'author', string>>; values: Record<string, string> };

function read(form: FormData) {
  const values = { title: String(form.get('title') ?? '').trim(), body: String(form.get('body') ?? '').trim(), author: String(form.get('author') ?? '') };
  const errors: FormState['errors'] = {};
  if (values.title.length < 3) errors.title = 'A title needs at least 3 characters.';
  if (values.title.length > 120) errors.title = 'A title has at most 120 characters.';
  if (values.body.length < 10) errors.body = 'Write at least 10 characters.';
  return { values, errors };
}

export async function createPost(_prev: FormState, form: FormData): Promise<FormState> {
  const { values, errors } = read(form);
  const author = await User.objects.filter({ id: Number(values.author) || -1 }).first();
  if (!author) errors.author = 'Pick an author.';
  if (Object.keys(errors).length || !author) return { errors, values };
  const post = await Post.objects.create({ author_id: author.id, title: values.title, body: values.body, published: true, created_at: new Date() });
  revalidatePath('/');
  redirect(`/posts/${post.id}`);
}

export async function updatePost(_prev: FormState, form: FormData): Promise<FormState> {
  const { values, errors } = read(form);
  const id = Number(form.get('id'));
  if (Object.keys(errors).length) return { errors, values };
  await Post.objects.filter({ id }).update({ title: values.title, body: values.body });
  revalidatePath('/');
  revalidatePath(`/posts/${id}`);
  redirect(`/posts/${id}`);
}

export async function deletePost(form: FormData): Promise<void> {
  await Post.objects.filter({ id: Number(form.get('id')) }).delete();
  revalidatePath('/');
  redirect('/');
}
