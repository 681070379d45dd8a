// Auth.js with the NOORMME adapter: database sessions and an email magic
// link that, in this example, is written to the server log and to
// data/magic-links.log instead of being mailed.
import fs from 'node:fs';
import path from 'node:path';
import NextAuth from 'next-auth';
import { NoormmeAdapter } from 'noormme/adapters/auth';
import { db } from './lib/db';

const linksFile = path.join(path.dirname(db.info().path), 'magic-links.log');

// Next.js reports every loopback host (127.0.0.1, [::1]) as "localhost" in
// request URLs, so Auth.js's default redirect check would send a browser on
// 127.0.0.1 to localhost, where its session cookie does not follow.
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
function sameSite(target: URL, base: URL) {
  if (target.origin === base.origin) return true;
  return target.protocol === base.protocol && target.port === base.port && LOOPBACK.has(target.hostname) && LOOPBACK.has(base.hostname);
}

export const { handlers, auth, signIn, signOut } = NextAuth({
  adapter: NoormmeAdapter(db),
  session: { strategy: 'database' },
  trustHost: true,
  secret: process.env.AUTH_SECRET ?? 'noormme-example-secret-change-me-in-production',
  pages: { signIn: '/login', verifyRequest: '/login/sent' },
  callbacks: {
    redirect({ url, baseUrl }) {
      if (url.startsWith('/')) return `${baseUrl}${url}`;
      return sameSite(new URL(url), new URL(baseUrl)) ? url : baseUrl;
    },
  },
  providers: [
    {
      id: 'email',
      type: 'email',
      name: 'Email',
      from: 'blog@example.com',
      maxAge: 60 * 60,
      options: {},
      async sendVerificationRequest({ identifier, url }) {
        console.log(`[auth] sign-in link for ${identifier}: ${url}`);
        fs.appendFileSync(linksFile, `${JSON.stringify({ identifier, url })}\n`);
      },
    },
  ],
});
