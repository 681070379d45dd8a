import type { ReactNode } from 'react';
import Link from 'next/link';

export const metadata = { title: 'NOORMME blog' };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body style={{ fontFamily: 'system-ui, sans-serif', maxWidth: 760, margin: '2rem auto', padding: '0 1rem' }}>
        <nav style={{ display: 'flex', gap: '1rem', marginBottom: '1.5rem' }}>
          <Link href="/">Posts</Link>
          <Link href="/posts/new">New post</Link>
          <Link href="/me">My account</Link>
        </nav>
        {children}
      </body>
    </html>
  );
}
