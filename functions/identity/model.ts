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
