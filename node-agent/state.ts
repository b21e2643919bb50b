// state.ts - the agent's optional state directory: the node credential, the process groups of running tasks, and
// `job.exited` reports not yet acknowledged, so an agent restarted after a crash can kill what its previous
// incarnation left running and still report what finished. Invariants: the file is replaced atomically (write, then
// rename) with mode 0600 (it holds a credential); writes are coalesced and never overlap; without a directory every
// operation is a no-op; a leftover group is killed only when one of its processes still carries that job's id.
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ExitedBody } from '../control/agents/protocol.ts';
import { killGroup } from './tasks.ts';

export interface AgentState {
  credential?: string;
  tasks: Array<{ jobid: string; pgid: number }>;
  exited: ExitedBody[];
}

export interface StateStore {
  load(): Promise<AgentState>;
  /** Asks for a write of `snapshot()` (taken when the write happens, within `debounceMs`). */
  save(snapshot: () => AgentState): void;
  /** Writes now whatever is pending. */
  flush(): Promise<void>;
}

const EMPTY: AgentState = { tasks: [], exited: [] };

/**
 * A store in `dir` (created 0700 when missing), or a no-op store when `dir` is undefined.
 * @example const store = createStateStore('/var/lib/flurry-agent'); const state = await store.load()
 */
export function createStateStore(dir: string | undefined, { debounceMs = 50 }: { debounceMs?: number } = {}): StateStore {
  if (!dir) return { load: async () => ({ ...EMPTY, tasks: [], exited: [] }), save: () => {}, flush: async () => {} };
  const file = path.join(dir, 'state.json');
  let pending: (() => AgentState) | null = null;
  let timer: NodeJS.Timeout | null = null;
  let writing: Promise<void> = Promise.resolve();

  const write = (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = null;
    const snapshot = pending;
    pending = null;
    if (!snapshot) return writing;
    writing = writing.then(async () => {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const tmp = `${file}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(snapshot()), { mode: 0o600 });
      await rename(tmp, file);
    });
    return writing;
  };

  return {
    load: async () => {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { tasks: [], exited: [] };
        throw new Error(`reading ${file}: ${(err as Error).message}`);
      }
      try {
        const data = JSON.parse(text) as Partial<AgentState>;
        return {
          ...(typeof data.credential === 'string' ? { credential: data.credential } : {}),
          tasks: Array.isArray(data.tasks) ? data.tasks.filter((t) => Number.isInteger(t?.pgid) && t.pgid > 1) : [],
          exited: Array.isArray(data.exited) ? data.exited : [],
        };
      } catch {
        return { tasks: [], exited: [] }; // a torn or foreign file: start afresh rather than refuse to run
      }
    },
    save: (snapshot) => {
      pending = snapshot;
      if (!timer) timer = setTimeout(() => void write().catch(() => {}), debounceMs);
    },
    flush: () => write(),
  };
}

/** Process ids by process group, read from /proc (Linux); null where there is no /proc. */
async function processGroups(procRoot: string): Promise<Map<number, number[]> | null> {
  if (!existsSync(path.join(procRoot, 'self'))) return null;
  const groups = new Map<number, number[]>();
  for (const name of await readdir(procRoot)) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(path.join(procRoot, name, 'stat'), 'utf8').catch(() => null);
    if (!stat) continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pgrp = Number(fields[2]);
    const list = groups.get(pgrp) ?? [];
    list.push(Number(name));
    groups.set(pgrp, list);
  }
  return groups;
}

/**
 * Kills (SIGKILL) the process groups a previous incarnation left running. On Linux a group is killed only if one of
 * its processes has `FLURRY_JOB_ID=<jobid>` in its environment, so a recycled pid is never hit.
 * @returns the jobids whose tasks were killed
 */
export async function killLeftovers(tasks: AgentState['tasks'], { procRoot = '/proc' }: { procRoot?: string } = {}): Promise<string[]> {
  if (tasks.length === 0) return [];
  const groups = await processGroups(procRoot);
  const killed: string[] = [];
  for (const { jobid, pgid } of tasks) {
    if (groups) {
      const marker = `\0FLURRY_JOB_ID=${jobid}\0`;
      let ours = false;
      for (const pid of groups.get(pgid) ?? []) {
        const environ = await readFile(path.join(procRoot, String(pid), 'environ'), 'utf8').catch(() => '');
        if (`\0${environ}`.includes(marker)) {
          ours = true;
          break;
        }
      }
      if (!ours) continue;
    }
    if (killGroup(pgid, 'SIGKILL') && !killed.includes(jobid)) killed.push(jobid);
  }
  return killed;
}
