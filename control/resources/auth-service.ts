// auth-service.ts - bearer tokens to callers: hash with the instance's pepper, look the hash up.
import { hashUserToken, newUserToken } from '../security/tokens.ts';
import type { AuthService, Caller, Role } from '../services.ts';
import type { UserTable } from '../store/users.ts';

export class Auth implements AuthService {
  private readonly recent = new Map<string, { caller: Caller; until: number }>();

  constructor(
    private readonly users: UserTable,
    private readonly pepper: string,
    private readonly clock: () => number,
  ) {}

  async authenticate(token: string): Promise<Caller | undefined> {
    if (!token.startsWith('flt_') || token.length > 200) return undefined;
    // A short cache keeps a burst of requests from one client to one lookup (revocation takes effect within 10 s).
    const now = this.clock();
    const hit = this.recent.get(token);
    if (hit && hit.until > now) return hit.caller;
    const record = await this.users.get(await hashUserToken(token, this.pepper));
    if (!record) return undefined;
    const caller = { user: record.user, role: record.role };
    if (this.recent.size > 1000) this.recent.clear();
    this.recent.set(token, { caller, until: now + 10 });
    return caller;
  }

  /** Makes a token for a user; only its hash is stored. Returns the token (shown once). */
  async issue(user: string, role: Role, label?: string): Promise<string> {
    const token = newUserToken();
    await this.users.put(await hashUserToken(token, this.pepper), { user, role, createdAt: this.clock(), label });
    return token;
  }
}
