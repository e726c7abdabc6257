import { abs, clamp, min, mulDiv, WAD } from "./math.ts";
import type { RebalanceTo } from "./policy.ts";

/** What {@link desiredValues} needs to know about one sleeve. */
export type TargetSleeve = {
  /** Current USD value (signed). */
  readonly cur: bigint;
  /** Target weight, wad fraction of its group's NAV (signed). */
  readonly weight: bigint;
  /** Band half-width, wad fraction of NAV. */
  readonly band: bigint;
  /** Debt sleeves must stay ≤ 0, the others ≥ 0. */
  readonly debt: boolean;
};

/** A set of sleeves that must keep its total: the whole portfolio, or one chain when value cannot cross chains. */
export type TargetGroup = { readonly members: readonly number[]; readonly nav: bigint };

/** Inputs of {@link desiredValues}. */
export type DesiredParams = {
  readonly sleeves: readonly TargetSleeve[];
  readonly groups: readonly TargetGroup[];
  readonly mode: RebalanceTo;
  readonly minTrade: bigint;
  /** Sleeves whose post value is imposed (frozen at their current value, or locked by the health-factor repair). */
  readonly fixed: ReadonlyMap<number, bigint>;
  /** Per-run turnover cap (USD wad): every move is scaled by cap / turnover when exceeded. */
  readonly maxTurnover?: bigint | undefined;
};

const INF = 1n << 240n;

/**
 * The post-rebalance USD value each sleeve should reach. Each group's values sum to its NAV.
 * - "target": value = weight × NAV. Sleeves that are fixed leave an imbalance, absorbed first by shrinking moves in the
 *   opposite direction (trade less), then by growing moves in the same direction, proportionally.
 * - "band-edge": sleeves inside their band stay; the others go to just inside the nearest band edge (margin: 5% of the
 *   band, at least 1 bps), and at least the minimum trade toward target. The imbalance goes, largest room first, to
 *   sleeves already moving that way, then to others: toward target first, then up to the inner band edge.
 */
export function desiredValues(p: DesiredParams): bigint[] {
  const P = p.sleeves.map((s) => s.cur);
  for (const g of p.groups) {
    if (p.mode === "target") targetGroup(p, g, P);
    else bandEdgeGroup(p, g, P);
  }
  if (p.maxTurnover !== undefined) {
    let turnover = 0n;
    p.sleeves.forEach((s, i) => {
      const d = (P[i] as bigint) - s.cur;
      if (d < 0n) turnover -= d;
    });
    if (turnover > p.maxTurnover) {
      p.sleeves.forEach((s, i) => {
        P[i] = s.cur + mulDiv((P[i] as bigint) - s.cur, p.maxTurnover as bigint, turnover);
      });
    }
  }
  return P;
}

type Cand = { i: number; room: bigint; weight: bigint; cat: number };

/** The order the rest goes to candidates in: by category, then largest room first, then by sleeve. */
const byTurn = (a: Cand, b: Cand) =>
  a.cat - b.cat || (b.room > a.room ? 1 : b.room < a.room ? -1 : a.i - b.i);

/** Moves up to `amount` (≥ 0) into candidates in direction `dir`; proportional to weight or greedy by room. Returns what moved. */
function spread(P: bigint[], cands: Cand[], amount: bigint, dir: 1n | -1n, proportional: boolean): bigint {
  if (amount <= 0n || cands.length === 0) return 0n;
  let left = amount;
  if (proportional) {
    let totalW = 0n;
    let maxW = 0n;
    for (const c of cands) {
      totalW += c.weight;
      if (c.weight > maxW) maxW = c.weight;
    }
    // Shares round down: when even the largest is under one unit (a rounding remainder), none moves anything.
    if (totalW > 0n && amount * maxW >= totalW) {
      for (const c of cands) {
        const share = mulDiv(amount, c.weight, totalW);
        const take = min(share, c.room);
        P[c.i] = (P[c.i] as bigint) + dir * take;
        c.room -= take;
        left -= take;
      }
    }
  }
  if (left <= 0n) return amount - left;
  // Usually the first candidate in that order can take the rest (a rounding remainder): then nothing is sorted.
  let top = cands[0] as Cand;
  for (const c of cands) if (byTurn(c, top) < 0) top = c;
  if (top.room >= left) {
    P[top.i] = (P[top.i] as bigint) + dir * left;
    top.room -= left;
    return amount;
  }
  const order = [...cands].sort(byTurn);
  for (const c of order) {
    if (left <= 0n) break;
    const take = min(c.room, left);
    if (take <= 0n) continue;
    P[c.i] = (P[c.i] as bigint) + dir * take;
    c.room -= take;
    left -= take;
  }
  return amount - left;
}

function targetGroup(p: DesiredParams, g: TargetGroup, P: bigint[]): void {
  const free: number[] = [];
  const closing: number[] = [];
  let total = 0n;
  for (const i of g.members) {
    const s = p.sleeves[i] as TargetSleeve;
    const f = p.fixed.get(i);
    P[i] = f ?? mulDiv(s.weight, g.nav, WAD);
    if (f === undefined) (s.weight === 0n ? closing : free).push(i);
    total += P[i] as bigint;
  }
  const R = g.nav - total;
  if (R === 0n) return;
  const dir: 1n | -1n = R > 0n ? 1n : -1n;
  // A sleeve whose target is 0 closes: it takes part of the imbalance only when no other sleeve can (else a rounding
  // remainder would leave it open with dust: debt a max repay would have cleared, an LP position not burned).
  const left = absorb(p, P, free, abs(R), dir);
  if (left > 0n) absorb(p, P, closing, left, dir);
}

/** Spreads `need` (≥ 0) of imbalance in direction `dir` over the sleeves `free`; returns what is left. */
function absorb(p: DesiredParams, P: bigint[], free: readonly number[], need: bigint, dir: 1n | -1n): bigint {
  // 1. Trade less: shrink moves that go the other way (sources when value is left over, sinks when it is short).
  const shrink: Cand[] = [];
  for (const i of free) {
    const d = (P[i] as bigint) - (p.sleeves[i] as TargetSleeve).cur;
    if (d !== 0n && d < 0n === dir > 0n) shrink.push({ i, room: abs(d), weight: abs(d), cat: 0 });
  }
  need -= spread(P, shrink, need, dir, true);
  if (need === 0n) return 0n;
  // 2. Grow moves in the same direction, then anyone, within the sign bound.
  const grow: Cand[] = [];
  for (const i of free) {
    const s = p.sleeves[i] as TargetSleeve;
    const d = (P[i] as bigint) - s.cur;
    const room = signRoom(s, P[i] as bigint, dir);
    if (room > 0n)
      grow.push({ i, room, weight: d === 0n ? 0n : abs(d), cat: d !== 0n && d > 0n === dir > 0n ? 0 : 1 });
  }
  return need - spread(P, grow, need, dir, true);
}

function signRoom(s: TargetSleeve, v: bigint, dir: 1n | -1n): bigint {
  if (dir > 0n) return s.debt ? (v < 0n ? -v : 0n) : INF;
  return s.debt ? INF : v > 0n ? v : 0n;
}

function bandEdgeGroup(p: DesiredParams, g: TargetGroup, P: bigint[]): void {
  const N = g.nav;
  const oneBps = N / 10_000n;
  const info = new Map<number, { t: bigint; lo: bigint; hi: bigint; aimLo: bigint; aimHi: bigint }>();
  const bound = (s: TargetSleeve, x: bigint) => (s.debt ? (x > 0n ? 0n : x) : x < 0n ? 0n : x);
  let total = 0n;
  for (const i of g.members) {
    const s = p.sleeves[i] as TargetSleeve;
    const t = mulDiv(s.weight, N, WAD);
    const b = mulDiv(s.band, N, WAD);
    let m = b / 20n > oneBps ? b / 20n : oneBps;
    if (m > b / 2n) m = b / 2n;
    const x = {
      t,
      lo: bound(s, t - b),
      hi: bound(s, t + b),
      aimLo: bound(s, t - (b - m)),
      aimHi: bound(s, t + (b - m)),
    };
    info.set(i, x);
    const f = p.fixed.get(i);
    if (f !== undefined) P[i] = f;
    else if (s.cur >= t - b && s.cur <= t + b) P[i] = s.cur;
    else {
      let v = clamp(s.cur, x.aimLo, x.aimHi);
      const need = p.minTrade + p.minTrade / 20n;
      const move = v - s.cur;
      if (p.minTrade > 0n && abs(move) < need) {
        const dist = abs(t - s.cur);
        v = s.cur + (move < 0n ? -1n : 1n) * min(dist, need);
      }
      P[i] = v;
    }
    total += P[i] as bigint;
  }
  const R = N - total;
  if (R === 0n) return;
  const dir: 1n | -1n = R > 0n ? 1n : -1n;
  let need = abs(R);
  const free = g.members.filter((i) => !p.fixed.has(i));
  // Sleeves already moving that way first (no new leg), then idle ones, then those moving the other way; each toward
  // target first, then up to the inner band edge; only then to the band edge itself, and last to the sign bound.
  for (const [cat, phase] of ORDER) {
    if (need <= 0n) break;
    const cands: Cand[] = [];
    for (const i of free) {
      const s = p.sleeves[i] as TargetSleeve;
      const v = P[i] as bigint;
      const d = v - s.cur;
      if ((d === 0n ? 1 : d > 0n === dir > 0n ? 0 : 2) !== cat) continue;
      const x = info.get(i) as { t: bigint; lo: bigint; hi: bigint; aimLo: bigint; aimHi: bigint };
      let room: bigint;
      if (phase === 3) room = signRoom(s, v, dir);
      else {
        const edge = dir > 0n ? [x.t, x.aimHi, x.hi][phase] : [x.t, x.aimLo, x.lo][phase];
        room = dir * ((edge as bigint) - v);
      }
      if (room <= 0n) continue;
      if (cat === 1 && p.minTrade > 0n && min(room, need) < p.minTrade) continue;
      cands.push({ i, room, weight: 0n, cat });
    }
    need -= spread(P, cands, need, dir, false);
  }
}

/** (category, phase) order of the band-edge absorption: categories 0 mover, 1 idle, 2 opposite; phases 0 target, 1 inner edge, 2 edge, 3 sign bound. */
const ORDER: readonly (readonly [number, number])[] = [
  [0, 0],
  [0, 1],
  [1, 0],
  [1, 1],
  [0, 2],
  [1, 2],
  [2, 0],
  [2, 1],
  [2, 2],
  [0, 3],
  [1, 3],
  [2, 3],
];
