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
  const N = nodes + 2;
  const to: number[] = [];
  const cap: bigint[] = [];
  const cost: number[] = [];
  const adj: number[][] = Array.from({ length: N }, () => []);
  const add = (u: number, v: number, c: bigint, w: number): number => {
    const k = to.length;
    to.push(v, u);
    cap.push(c, 0n);
    cost.push(w, -w);
    (adj[u] as number[]).push(k);
    (adj[v] as number[]).push(k + 1);
    return k;
  };
  const arcIdx = arcs.map((a) => {
    if (!Number.isSafeInteger(a.cost) || a.cost < 0)
      throw new RangeError(`arc cost must be an integer ≥ 0: ${a.cost}`);
    return add(a.from, a.to, INF, a.cost);
  });
  const srcIdx: number[] = [];
  const snkIdx: number[] = [];
  for (let v = 0; v < nodes; v++) {
    const s = supply[v] ?? 0n;
    srcIdx.push(s > 0n ? add(S, v, s, 0) : -1);
    snkIdx.push(s < 0n ? add(v, T, -s, 0) : -1);
  }
  const pot = new Array<number>(N).fill(0);
  const dist = new Array<number>(N);
  const prev = new Int32Array(N);
  const done = new Uint8Array(N);
  let shipped = 0n;
  for (;;) {
    dist.fill(Number.POSITIVE_INFINITY);
    prev.fill(-1);
    done.fill(0);
    dist[S] = 0;
    for (let it = 0; it < N; it++) {
      let u = -1;
      let best = Number.POSITIVE_INFINITY;
      for (let v = 0; v < N; v++)
        if (!done[v] && (dist[v] as number) < best) {
          best = dist[v] as number;
          u = v;
        }
      if (u < 0) break;
      done[u] = 1;
      const pu = pot[u] as number;
      for (const e of adj[u] as number[]) {
        if ((cap[e] as bigint) <= 0n) continue;
        const v = to[e] as number;
        if (done[v]) continue;
        const nd = best + (cost[e] as number) + pu - (pot[v] as number);
        if (nd < (dist[v] as number)) {
          dist[v] = nd;
          prev[v] = e;
        }
      }
    }
    if (dist[T] === Number.POSITIVE_INFINITY) break;
    for (let v = 0; v < N; v++)
      if (dist[v] !== Number.POSITIVE_INFINITY) pot[v] = (pot[v] as number) + (dist[v] as number);
    let f = INF;
    for (let v = T; v !== S; ) {
      const e = prev[v] as number;
      if ((cap[e] as bigint) < f) f = cap[e] as bigint;
      v = to[e ^ 1] as number;
    }
    for (let v = T; v !== S; ) {
      const e = prev[v] as number;
      cap[e] = (cap[e] as bigint) - f;
      cap[e ^ 1] = (cap[e ^ 1] as bigint) + f;
      v = to[e ^ 1] as number;
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
