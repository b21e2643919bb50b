// node.ts - one node vertex of the resource graph: its sockets, cores and GPUs, with occupancy kept as bitsets.
// Invariants: freeCores = cores − set core bits; socketFreeCores[s] = free cores in socket s's range (same for GPUs);
// a slot never spans nodes; ids are logical (0..cores−1, 0..gpus−1); memory is a capacity, not a consumable.

import type { NodeInventory } from './types.ts';
import type { GroupVertex } from './aggregates.ts';
import { bitsToIds, clearBit, clearBitsIn, newBits, setBit, testBit } from './bits.ts';

export type NodeState = 'up' | 'down' | 'drained';

/** The ids a job holds on one node. */
export interface NodeShare {
  cores: number[];
  gpus: number[];
}

/** Start of socket `s`'s id range when `count` ids are spread evenly over `sockets`. */
function socketStart(count: number, sockets: number, s: number): number {
  return Math.floor((s * count) / sockets);
}

export class NodeVertex {
  readonly rank: number;
  readonly hostname: string;
  readonly properties: ReadonlySet<string>;
  readonly zone: string;
  readonly group: string;
  readonly sockets: number;
  readonly cores: number;
  readonly gpus: number;
  readonly memoryMB: number;
  state: NodeState = 'up';
  freeCores: number;
  freeGpus: number;
  /** Number of jobs holding anything here. */
  jobs = 0;
  /** The group vertex holding this node (maintained by Topology). */
  home: GroupVertex | null = null;
  /** Position in the rank-ordered index (maintained by RankIndex). */
  pos = -1;
  readonly coreBits: Uint32Array;
  readonly gpuBits: Uint32Array;
  readonly socketFreeCores: Int32Array;
  readonly socketFreeGpus: Int32Array;

  constructor(rank: number, inv: NodeInventory) {
    this.rank = rank;
    this.hostname = inv.hostname;
    this.properties = new Set(inv.properties);
    this.zone = inv.zone ?? 'default';
    this.group = inv.group ?? 'default';
    this.sockets = Math.max(1, inv.sockets ?? 1);
    this.cores = inv.cores;
    this.gpus = inv.gpus;
    this.memoryMB = inv.memoryMB;
    this.freeCores = inv.cores;
    this.freeGpus = inv.gpus;
    this.coreBits = newBits(inv.cores);
    this.gpuBits = newBits(inv.gpus);
    this.socketFreeCores = new Int32Array(this.sockets);
    this.socketFreeGpus = new Int32Array(this.sockets);
    for (let s = 0; s < this.sockets; s++) {
      this.socketFreeCores[s] = socketStart(this.cores, this.sockets, s + 1) - socketStart(this.cores, this.sockets, s);
      this.socketFreeGpus[s] = socketStart(this.gpus, this.sockets, s + 1) - socketStart(this.gpus, this.sockets, s);
    }
  }

  /** Nothing allocated here. */
  get fullyFree(): boolean {
    return this.jobs === 0;
  }

  /** The socket holding core `id`. */
  coreSocket(id: number): number {
    return Math.min(this.sockets - 1, Math.floor(((id + 1) * this.sockets - 1) / this.cores));
  }

  /** The socket holding GPU `id`. */
  gpuSocket(id: number): number {
    return Math.min(this.sockets - 1, Math.floor(((id + 1) * this.sockets - 1) / this.gpus));
  }

  isCoreFree(id: number): boolean {
    return !testBit(this.coreBits, id);
  }

  isGpuFree(id: number): boolean {
    return !testBit(this.gpuBits, id);
  }

  /**
   * Take `count` slots of `c` cores and `g` GPUs; the caller has checked they fit. Each slot prefers one socket
   * (the fullest that still fits it, to keep other sockets whole) and GPUs on the socket of its cores; a slot that
   * fits no single socket spans sockets, and GPUs come from other sockets when its own has too few.
   * @example node.takeSlots(2, 4, 1) // {cores: [0..7], gpus: [0, 1]}
   */
  takeSlots(count: number, c: number, g: number): NodeShare {
    const cores: number[] = [];
    const gpus: number[] = [];
    while (count > 0) {
      let socket = -1;
      for (let s = 0; s < this.sockets; s++) {
        const free = this.socketFreeCores[s]!;
        if (free >= c && (socket < 0 || free < this.socketFreeCores[socket]!)) socket = s;
      }
      // The best-fit socket stays the best fit while it can hold another slot: take that many at once.
      const k = socket >= 0 ? Math.min(count, Math.floor(this.socketFreeCores[socket]! / c)) : 1;
      const start = cores.length;
      if (socket >= 0) this.takeCores(socketStart(this.cores, this.sockets, socket), socketStart(this.cores, this.sockets, socket + 1), k * c, cores);
      else this.takeCores(0, this.cores, c, cores);
      if (g > 0) {
        const gs = socket >= 0 ? socket : this.coreSocket(cores[start]!);
        const local = Math.min(k * g, Math.floor(this.socketFreeGpus[gs]! / g) * g);
        this.takeGpus(socketStart(this.gpus, this.sockets, gs), socketStart(this.gpus, this.sockets, gs + 1), local, gpus);
        this.takeGpus(0, this.gpus, k * g - local, gpus);
      }
      count -= k;
    }
    if (cores.length + gpus.length > 0) this.jobs++;
    cores.sort((a, b) => a - b);
    gpus.sort((a, b) => a - b);
    return { cores, gpus };
  }

  /** Take every core and GPU (exclusive use); the caller has checked the node is fully free. */
  takeAll(): NodeShare {
    const cores: number[] = [];
    const gpus: number[] = [];
    clearBitsIn(this.coreBits, 0, this.cores, this.cores, cores);
    clearBitsIn(this.gpuBits, 0, this.gpus, this.gpus, gpus);
    for (const id of cores) this.setCore(id);
    for (const id of gpus) this.setGpu(id);
    this.jobs++;
    return { cores, gpus };
  }

  /** Take exactly these ids; the caller has checked they are in range and free. */
  takeIds(share: NodeShare): void {
    for (const id of share.cores) this.setCore(id);
    for (const id of share.gpus) this.setGpu(id);
    this.jobs++;
  }

  /** Give back what `takeSlots`, `takeAll` or `takeIds` returned or was given. */
  giveBack(share: NodeShare): void {
    for (const id of share.cores) {
      clearBit(this.coreBits, id);
      this.freeCores++;
      this.socketFreeCores[this.coreSocket(id)]!++;
    }
    for (const id of share.gpus) {
      clearBit(this.gpuBits, id);
      this.freeGpus++;
      this.socketFreeGpus[this.gpuSocket(id)]!++;
    }
    this.jobs--;
  }

  /** Allocated core ids, ascending. */
  allocatedCores(): number[] {
    return bitsToIds(this.coreBits, this.cores);
  }

  /** Allocated GPU ids, ascending. */
  allocatedGpus(): number[] {
    return bitsToIds(this.gpuBits, this.gpus);
  }

  private takeCores(from: number, to: number, want: number, out: number[]): void {
    const start = out.length;
    clearBitsIn(this.coreBits, from, to, want, out);
    for (let i = start; i < out.length; i++) this.setCore(out[i]!);
  }

  private takeGpus(from: number, to: number, want: number, out: number[]): void {
    if (want <= 0) return;
    const start = out.length;
    clearBitsIn(this.gpuBits, from, to, want, out);
    for (let i = start; i < out.length; i++) this.setGpu(out[i]!);
  }

  private setCore(id: number): void {
    setBit(this.coreBits, id);
    this.freeCores--;
    this.socketFreeCores[this.coreSocket(id)]!--;
  }

  private setGpu(id: number): void {
    setBit(this.gpuBits, id);
    this.freeGpus--;
    this.socketFreeGpus[this.gpuSocket(id)]!--;
  }
}
