'use client';
// The create/edit form: field errors from the Server Action appear next to
// their fields. This Client Component gets plain data only.
import { useActionState } from 'react';
import type { FormState } from './actions';

type Props = {
  action: (prev: FormState, form: FormData) => Promise<FormState>;
  authors?: { id: number; name: string }[];
  initial?: { id?: number; title: string; body: string };
  submitLabel: string;
};

export default function PostForm({ action, authors, initial, submitLabel }: Props) {
  const [state, formAction, pending] = useActionState(action, { errors: {}, values: { title: initial?.title ?? '', body: initial?.body ?? '', author: '' } });
  return (
    <form action={formAction} style={{ display: 'grid', gap: '0.75rem', maxWidth: 520 }}>
      {initial?.id !== undefined && <input type="hidden" name="id" value={initial.id} />}
      {authors && (
        <label>
          Author{' '}
          <select name="author" defaultValue={state.values.author}>
            <option value="">—</option>
            {authors.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
          {state.errors.author && <span role="alert" data-testid="error-author"> {state.errors.author}</span>}
        </label>
      )}
      <label>
        Title <input name="title" defaultValue={state.values.title} />
        {state.errors.title && <span role="alert" data-testid="error-title"> {state.errors.title}</span>}
      </label>
      <label>
        Text <textarea name="body" rows={6} defaultValue={state.values.body} />
        {state.errors.body && <span role="alert" data-testid="error-body"> {state.errors.body}</span>}
      </label>
      <button type="submit" disabled={pending}>
        {submitLabel}
      </button>
    </form>
  );
}
