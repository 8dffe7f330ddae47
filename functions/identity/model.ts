/** What the identity service stores. Secrets, codes and tokens are kept only as SHA-256 hashes. */
export interface Account {
  accountId: string;
  type: 'citizen' | 'enterprise';
  /** idNumber of a citizen, creditCode of an enterprise: the login name. */
  identifier: string;
  name: string;
  phone?: string;
  operatorIdNumber?: string;
  passwordHash: string;
  createdAt: string;
}

export interface Client {
  clientId: string;
  kind: 'confidential' | 'public';
  secretHash?: string;
  scopes: string[];
  redirectUris: string[];
  department?: string;
  /** For Open311 clients: the hash of their api_key. */
  apiKeyHash?: string;
  createdAt: string;
}

export interface SsoSession {
  sessionHash: string;
  accountId: string;
  authTime: number;
  expiresAt: number;
  families: string[];
}

export interface AuthorizationCode {
  codeHash: string;
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  scope: string;
  accountId: string;
  authTime: number;
  nonce?: string;
  sessionHash: string;
  expiresAt: number;
  used: boolean;
  /** Tokens the code produced: revoked if the code is replayed. */
  familyId?: string;
  accessJti?: string;
}

export interface RefreshToken {
  tokenHash: string;
  familyId: string;
  clientId: string;
  sub: string;
  scope: string;
  expiresAt: number;
  used: boolean;
}

export interface TokenFamily {
  familyId: string;
  clientId: string;
  sub: string;
  revoked: boolean;
  /** Access tokens issued in this family, denied when the family is revoked. */
  accessJtis: { jti: string; exp: number }[];
  expiresAt: number;
}

/** Data ports of the identity domain; store.ts implements them on DynamoDB. */
export interface IdentityStore {
  createAccount(account: Account): Promise<'created' | 'exists'>;
  accountByIdentifier(identifier: string): Promise<Account | undefined>;
  account(accountId: string): Promise<Account | undefined>;
  client(clientId: string): Promise<Client | undefined>;
  putClient(client: Client): Promise<'created' | 'exists'>;
  /** Failed logins in the current window and the lock, if any. */
  failures(accountId: string): Promise<{ count: number; windowStart: number; lockedUntil?: number }>;
  recordFailure(accountId: string, now: number, windowSeconds: number, lockAfter: number, lockSeconds: number): Promise<{ lockedUntil?: number }>;
  clearFailures(accountId: string, now: number, windowSeconds: number): Promise<void>;
  /** Counts a hit in a fixed window and returns the count so far. */
  hit(key: string, now: number, windowSeconds: number): Promise<number>;
  putSession(session: SsoSession): Promise<void>;
  session(sessionHash: string): Promise<SsoSession | undefined>;
  addFamilyToSession(sessionHash: string, familyId: string): Promise<void>;
  deleteSession(sessionHash: string): Promise<void>;
  putCode(code: AuthorizationCode): Promise<void>;
  /** Marks the code used; 'replayed' (with the record) when it was used before. */
  consumeCode(codeHash: string): Promise<{ code: AuthorizationCode; replayed: boolean } | undefined>;
  linkCodeTokens(codeHash: string, familyId: string, accessJti: string): Promise<void>;
  putRefresh(token: RefreshToken): Promise<void>;
  consumeRefresh(tokenHash: string): Promise<{ token: RefreshToken; reused: boolean } | undefined>;
  refresh(tokenHash: string): Promise<RefreshToken | undefined>;
  putFamily(family: TokenFamily): Promise<void>;
  family(familyId: string): Promise<TokenFamily | undefined>;
  addAccessToFamily(familyId: string, jti: string, exp: number): Promise<void>;
  revokeFamily(familyId: string): Promise<TokenFamily | undefined>;
  deny(jti: string, exp: number): Promise<void>;
  isDenied(jti: string): Promise<boolean>;
}
