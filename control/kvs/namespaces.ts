// namespaces.ts - which namespace a request means and whether the caller may use it. `primary` is the instance
// owner's (RFC 16); a job namespace `job-<f58>` belongs to the job's owner and comes into being on its first write;
// any other namespace exists once created, by the instance owner, for an owner. Invariants: the instance owner may
// use every namespace; anyone else only those they own, and a namespace they may not see is "not found" (as jobs
// are), except `primary`, which is known to exist; a removed namespace's keys never reappear (new generation).
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError } from '../core/errors.ts';
import { encodeFluid } from '../core/fluid.ts';
import type { Caller } from '../services.ts';
import type { KvsTable, NamespaceRecord } from '../store/kvs.ts';
import { partitionKey } from './items.ts';
import { jobOfNamespace, normalizeNamespace, PRIMARY } from './path.ts';
import type { KvsNamespace } from './types.ts';

export interface NamespaceDeps {
  iid: string;
  table: KvsTable;
  /** The owner of a job of this instance, or undefined if there is no such job. */
  jobOwner(id: bigint): Promise<string | undefined>;
  /** Seconds since the epoch. */
  clock(): number;
}

/** A namespace a request may use: its canonical name, owner, and the partition holding it. */
export interface ResolvedNamespace {
  name: string;
  owner: string;
  pk: string;
}

/** The owner of `primary` as listed (the instance owner's role, not a user name). */
export const INSTANCE_OWNER = '(instance owner)';

export class Namespaces {
  constructor(private readonly d: NamespaceDeps) {}

  /**
   * The namespace `name` as `caller` may use it. `write` creates a job namespace on first use; a read of one not
   * created yet gets an empty partition.
   */
  async resolve(caller: Caller, name: string, intent: 'read' | 'write'): Promise<ResolvedNamespace> {
    const ns = normalizeNamespace(name);
    if (ns === PRIMARY) {
      if (caller.role !== 'owner') throw new ForbiddenError('the primary namespace is for the instance owner only');
      return { name: ns, owner: INSTANCE_OWNER, pk: partitionKey(this.d.iid, ns, '0') };
    }
    const rec = await this.d.table.getNamespace(this.d.iid, ns);
    if (rec) {
      if (!mayUse(caller, rec.owner)) throw notFound(ns);
      return { name: ns, owner: rec.owner, pk: partitionKey(this.d.iid, ns, rec.gen) };
    }
    const job = jobOfNamespace(ns);
    if (job === undefined) throw notFound(ns);
    const owner = await this.d.jobOwner(job);
    if (owner === undefined || !mayUse(caller, owner)) throw notFound(ns);
    if (intent === 'read') return { name: ns, owner, pk: partitionKey(this.d.iid, ns, 'none') };
    const created = await this.create(ns, owner);
    return { name: ns, owner: created.owner, pk: partitionKey(this.d.iid, ns, created.gen) };
  }

  /** `flurry kvs namespace create NAME [--owner USER]`. */
  async createNamespace(caller: Caller, name: string, owner?: string): Promise<KvsNamespace> {
    const ns = normalizeNamespace(name, 'name');
    if (ns === PRIMARY) throw new ConflictError('namespace primary already exists');
    const job = jobOfNamespace(ns);
    let nsOwner = owner ?? caller.user;
    if (job !== undefined) {
      const jobOwner = await this.d.jobOwner(job);
      if (jobOwner === undefined || !mayUse(caller, jobOwner)) throw new NotFoundError(`job ${encodeFluid(job)} not found`);
      if (owner !== undefined && owner !== jobOwner) throw new InvalidInputError(`a job namespace belongs to the job's owner (${jobOwner})`, 'owner');
      nsOwner = jobOwner;
    } else if (caller.role !== 'owner') {
      throw new ForbiddenError('only the instance owner may create namespaces (other than those of your jobs)');
    }
    const rec: NamespaceRecord = { name: ns, owner: nsOwner, gen: newGeneration(this.d.clock()), created: this.d.clock() };
    if (!(await this.d.table.createNamespace(this.d.iid, rec))) throw new ConflictError(`namespace ${ns} already exists`);
    return { name: ns, owner: nsOwner, created: rec.created };
  }

  /** Removes the namespace's record (so its keys are gone at once); returns its partition for cleaning up. */
  async removeNamespace(caller: Caller, name: string): Promise<ResolvedNamespace> {
    const ns = normalizeNamespace(name, 'name');
    if (ns === PRIMARY) throw new ForbiddenError('the primary namespace cannot be removed');
    const rec = await this.d.table.getNamespace(this.d.iid, ns);
    if (!rec || !mayUse(caller, rec.owner)) throw notFound(ns);
    const removed = await this.d.table.deleteNamespace(this.d.iid, ns);
    if (!removed || removed.gen !== rec.gen) throw notFound(ns);
    return { name: ns, owner: rec.owner, pk: partitionKey(this.d.iid, ns, rec.gen) };
  }

  /** Every namespace for the instance owner; the caller's own for anyone else. */
  async list(caller: Caller): Promise<KvsNamespace[]> {
    const recs = await this.d.table.listNamespaces(this.d.iid);
    const out: KvsNamespace[] = caller.role === 'owner' ? [{ name: PRIMARY, owner: INSTANCE_OWNER }] : [];
    for (const r of recs) if (mayUse(caller, r.owner)) out.push({ name: r.name, owner: r.owner, created: r.created });
    return out;
  }

  /** Creates a job namespace on its first write (or finds the one a concurrent first write created). */
  private async create(ns: string, owner: string): Promise<NamespaceRecord> {
    const rec: NamespaceRecord = { name: ns, owner, gen: newGeneration(this.d.clock()), created: this.d.clock() };
    if (await this.d.table.createNamespace(this.d.iid, rec)) return rec;
    const other = await this.d.table.getNamespace(this.d.iid, ns);
    if (!other) throw new ConflictError(`namespace ${ns} was removed while being created; retry`);
    return other;
  }
}

function mayUse(caller: Caller, owner: string): boolean {
  return caller.role === 'owner' || caller.user === owner;
}

function notFound(ns: string): NotFoundError {
  return new NotFoundError(`namespace ${ns} not found`);
}

/** A fresh generation id: creation time and randomness, so a re-created namespace never meets its old keys. */
function newGeneration(now: number): string {
  const bytes = new Uint8Array(6);
  crypto.getRandomValues(bytes);
  return `${Math.floor(now * 1000).toString(36)}${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}
