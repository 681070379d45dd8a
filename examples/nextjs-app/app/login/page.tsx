import { signIn } from '@/auth';

export default function LoginPage() {
  return (
    <main>
      <h1>Sign in</h1>
      <form
        action={async (form) => {
          'use server';
          await signIn('email', { email: String(form.get('email') ?? ''), redirectTo: '/me' });
        }}
      >
        <input type="email" name="email" placeholder="you@example.com" required aria-label="Email" />
        <button type="submit">Email me a sign-in link</button>
      </form>
    </main>
  );
}
