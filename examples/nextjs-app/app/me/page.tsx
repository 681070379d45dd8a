// A protected page: the session is read from the database by the adapter.
import { redirect } from 'next/navigation';
import { auth, signOut } from '@/auth';

export default async function MePage() {
  const session = await auth();
  if (!session?.user) redirect('/login');
  return (
    <main>
      <h1>My account</h1>
      <p data-testid="signed-in">Signed in as {session.user.email}</p>
      <p>Session expires {new Date(session.expires).toISOString()}</p>
      <form
        action={async () => {
          'use server';
          await signOut({ redirectTo: '/' });
        }}
      >
        <button type="submit">Sign out</button>
      </form>
    </main>
  );
}
