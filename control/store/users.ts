// users.ts - user bearer tokens, stored only as peppered hashes (control/security/tokens.ts), with the user's role.
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { StoreContext } from './context.ts';

/** RFC 12-like roles: the instance owner sees and controls everything; a user only their own jobs. */
export type Role = 'owner' | 'user';

export interface UserRecord {
  user: string;
  role: Role;
  createdAt: number;
  /** A free-form label ("laptop", "ci"). */
  label?: string;
}

export class UserTable {
  constructor(private readonly ctx: StoreContext) {}

  async put(tokenHash: string, record: UserRecord): Promise<void> {
    await this.ctx.doc.send(new PutCommand({ TableName: this.ctx.table, Item: { pk: `A#${tokenHash}`, sk: 'A', ...record } }));
  }

  async get(tokenHash: string): Promise<UserRecord | undefined> {
    const out = await this.ctx.doc.send(new GetCommand({ TableName: this.ctx.table, Key: { pk: `A#${tokenHash}`, sk: 'A' } }));
    if (!out.Item) return undefined;
    return { user: String(out.Item.user), role: out.Item.role === 'owner' ? 'owner' : 'user', createdAt: Number(out.Item.createdAt), label: out.Item.label as string | undefined };
  }

  async remove(tokenHash: string): Promise<void> {
    await this.ctx.doc.send(new DeleteCommand({ TableName: this.ctx.table, Key: { pk: `A#${tokenHash}`, sk: 'A' } }));
  }
}
