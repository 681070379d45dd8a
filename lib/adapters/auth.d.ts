import type { NOORMME } from '../../index';

export interface AdapterUser {
  id: string;
  name?: string | null;
  email: string;
  emailVerified: Date | null;
  image?: string | null;
}
export interface AdapterAccount {
  userId: string;
  type: string;
  provider: string;
  providerAccountId: string;
  refresh_token?: string | null;
  access_token?: string | null;
  expires_at?: number | null;
  token_type?: string | null;
  scope?: string | null;
  id_token?: string | null;
  session_state?: string | null;
}
export interface AdapterSession {
  sessionToken: string;
  userId: string;
  expires: Date;
}
export interface VerificationToken {
  identifier: string;
  token: string;
  expires: Date;
}
export interface AdapterAuthenticator {
  credentialID: string;
  userId: string;
  providerAccountId: string;
  credentialPublicKey: string;
  counter: number;
  credentialDeviceType: string;
  credentialBackedUp: boolean;
  transports?: string | null;
}

/** The Auth.js adapter contract (compatible with `Adapter` from @auth/core and next-auth v4). */
export interface NoormmeAuthAdapter {
  createUser(user: Omit<AdapterUser, 'id'> & { id?: string }): Promise<AdapterUser>;
  getUser(id: string): Promise<AdapterUser | null>;
  getUserByEmail(email: string): Promise<AdapterUser | null>;
  getUserByAccount(account: Pick<AdapterAccount, 'provider' | 'providerAccountId'>): Promise<AdapterUser | null>;
  updateUser(user: Partial<AdapterUser> & Pick<AdapterUser, 'id'>): Promise<AdapterUser>;
  deleteUser(userId: string): Promise<void>;
  /** Resolves to the stored account (typed `void` to match Auth.js's optional return). */
  linkAccount(account: AdapterAccount): Promise<void>;
  unlinkAccount(account: Pick<AdapterAccount, 'provider' | 'providerAccountId'>): Promise<void>;
  /** The account (`AdapterAccount`) or null; typed loosely because Auth.js v4 and v5 type its fields differently. */
  getAccount(providerAccountId: string, provider: string): Promise<any>;
  createSession(session: AdapterSession): Promise<AdapterSession>;
  getSessionAndUser(sessionToken: string): Promise<{ session: AdapterSession; user: AdapterUser } | null>;
  updateSession(session: Partial<AdapterSession> & Pick<AdapterSession, 'sessionToken'>): Promise<AdapterSession | null>;
  deleteSession(sessionToken: string): Promise<void>;
  createVerificationToken(token: VerificationToken): Promise<VerificationToken>;
  useVerificationToken(params: { identifier: string; token: string }): Promise<VerificationToken | null>;
  createAuthenticator(authenticator: AdapterAuthenticator): Promise<AdapterAuthenticator>;
  getAuthenticator(credentialID: string): Promise<AdapterAuthenticator | null>;
  listAuthenticatorsByUserId(userId: string): Promise<AdapterAuthenticator[]>;
  updateAuthenticatorCounter(credentialID: string, newCounter: number): Promise<AdapterAuthenticator>;
}

export interface NoormmeAdapterOptions {
  /** Your table names, when not the canonical `user`, `account`, `session`, `verificationToken`, `authenticator`. */
  tables?: Partial<Record<'user' | 'account' | 'session' | 'verificationToken' | 'authenticator', string>>;
  /** Your column names per table: `{ user: { emailVerified: 'email_verified' } }`. */
  columns?: Partial<Record<'user' | 'account' | 'session' | 'verificationToken' | 'authenticator', Record<string, string>>>;
  /** How new user ids are made (default: crypto.randomUUID()). */
  generateId?: () => string;
}

export declare function NoormmeAdapter(db: NOORMME, options?: NoormmeAdapterOptions): NoormmeAuthAdapter;
/** The canonical Auth.js SQLite tables (what `npx noormme auth-schema` prints). */
export declare const AUTH_SCHEMA: string;
/** Creates the canonical tables if missing, then refreshes the schema. */
export declare function applyAuthSchema(db: NOORMME): Promise<void>;
