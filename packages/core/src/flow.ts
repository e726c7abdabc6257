/** An uncapacitated arc of a flow network with an integer, non-negative cost per unit. */
export type FlowArc = { readonly from: number; readonly to: number; readonly cost: number };

/** The result of {@link minCostFlow}: flow per arc, what was shipped, and what supply/demand stayed unmet. */
export type FlowResult = {
  /** Flow on each input arc, same order. */
  readonly flows: readonly bigint[];
  /** Total flow shipped from supplies to demands. */
  readonly shipped: bigint;
  /** Per node: supply that could not be shipped (≥ 0). */
  readonly unmetSupply: readonly bigint[];
  /** Per node: demand that could not be met (≥ 0). */
  readonly unmetDemand: readonly bigint[];
};

const INF = 1n << 250n;

/**
 * Exact min-cost flow by successive shortest paths (Dijkstra with Johnson potentials) on a small network.
 * `supply[v] > 0` is a supply, `< 0` a demand; arcs are uncapacitated with integer costs ≥ 0. Ships as much as possible
 * (min of total supply and total demand, subject to reachability) at minimum total cost. Deterministic: ties go to the
 * lower node index. O(augmentations × V²); meant for the planner's aggregated graphs (tens to hundreds of nodes).
 */
export function minCostFlow(nodes: number, supply: readonly bigint[], arcs: readonly FlowArc[]): FlowResult {
  const S = nodes;
  const T = nodes + 1;
  const net = residualNetwork(nodes + 2);
  const arcIdx = arcs.map((a) => {
    if (!Number.isSafeInteger(a.cost) || a.cost < 0)
      throw new RangeError(`arc cost must be an integer ≥ 0: ${a.cost}`);
    return net.add(a.from, a.to, INF, a.cost);
  });
  const srcIdx: number[] = [];
  const snkIdx: number[] = [];
  for (let v = 0; v < nodes; v++) {
    const s = supply[v] ?? 0n;
    srcIdx.push(s > 0n ? net.add(S, v, s, 0) : -1);
    snkIdx.push(s < 0n ? net.add(v, T, -s, 0) : -1);
  }
  const { cap, open } = net;
  const pot = new Float64Array(net.n);
  const dist = new Float64Array(net.n);
  const prev = new Int32Array(net.n);
  const buf = { done: new Uint8Array(net.n), open: new Int32Array(net.n) };
  let shipped = 0n;
  for (;;) {
    shortestPaths(net, S, pot, dist, prev, buf);
    if (dist[T] === Number.POSITIVE_INFINITY) break;
    for (let v = 0; v < net.n; v++)
      if (dist[v] !== Number.POSITIVE_INFINITY) pot[v] = (pot[v] as number) + (dist[v] as number);
    let f = INF;
    for (let v = T; v !== S; ) {
      const e = prev[v] as number;
      if ((cap[e] as bigint) < f) f = cap[e] as bigint;
      v = net.to[e ^ 1] as number;
    }
    for (let v = T; v !== S; ) {
      const e = prev[v] as number;
      cap[e] = (cap[e] as bigint) - f;
      cap[e ^ 1] = (cap[e ^ 1] as bigint) + f;
      open[e] = cap[e] > 0n ? 1 : 0;
      open[e ^ 1] = 1;
      v = net.to[e ^ 1] as number;
    }
    shipped += f;
  }
  return {
    flows: arcIdx.map((k) => cap[k + 1] as bigint),
    shipped,
    unmetSupply: srcIdx.map((k) => (k < 0 ? 0n : (cap[k] as bigint))),
    unmetDemand: snkIdx.map((k) => (k < 0 ? 0n : (cap[k] as bigint))),
  };
}

/**
 * A residual network: arc `k` and its reverse `k ^ 1`, with capacities and costs; `add` returns the forward arc.
 * `open[k]` is 1 while arc `k` has capacity left (so the shortest-path search compares no bigints).
 */
type Network = {
  readonly n: number;
  readonly to: number[];
  readonly cap: bigint[];
  readonly open: number[];
  readonly cost: number[];
  readonly adj: number[][];
  add(u: number, v: number, c: bigint, w: number): number;
};

function residualNetwork(n: number): Network {
  const net: Network = {
    n,
    to: [],
    cap: [],
    open: [],
    cost: [],
    adj: Array.from({ length: n }, () => []),
    add(u, v, c, w) {
      const k = net.to.length;
      net.to.push(v, u);
      net.cap.push(c, 0n);
      net.open.push(c > 0n ? 1 : 0, 0);
      net.cost.push(w, -w);
      (net.adj[u] as number[]).push(k);
      (net.adj[v] as number[]).push(k + 1);
      return k;
    },
  };
  return net;
}

/**
 * Dijkstra from `S` over arcs with capacity left, on costs reduced by the potentials, into `dist` and `prev` (reused
 * across augmentations, as `buf`). The next node is the reached, unsettled one with the least distance, ties to the
 * lower node: found by scanning only the reached nodes (the same order as scanning all of them).
 */
function shortestPaths(
  net: Network,
  S: number,
  pot: Float64Array,
  dist: Float64Array,
  prev: Int32Array,
  buf: { readonly done: Uint8Array; readonly open: Int32Array },
): void {
  const { done, open } = buf;
  dist.fill(Number.POSITIVE_INFINITY);
  prev.fill(-1);
  done.fill(0);
  dist[S] = 0;
  open[0] = S;
  let reached = 1;
  while (reached > 0) {
    let k = 0;
    for (let j = 1; j < reached; j++) {
      const v = open[j] as number;
      const u = open[k] as number;
      if ((dist[v] as number) < (dist[u] as number) || (dist[v] === dist[u] && v < u)) k = j;
    }
    const u = open[k] as number;
    open[k] = open[--reached] as number;
    done[u] = 1;
    const best = dist[u] as number;
    const pu = pot[u] as number;
    for (const e of net.adj[u] as number[]) {
      if (net.open[e] === 0) continue;
      const v = net.to[e] as number;
      if (done[v]) continue;
      const nd = best + (net.cost[e] as number) + pu - (pot[v] as number);
      if (nd < (dist[v] as number)) {
        if (dist[v] === Number.POSITIVE_INFINITY) open[reached++] = v;
        dist[v] = nd;
        prev[v] = e;
      }
    }
  }
}
