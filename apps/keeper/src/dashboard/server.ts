import { timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { BallastError, redactText } from "@ballast/core";
import type { Journal } from "../journal.ts";
import { type ChainInfo, historyOf, statusOf } from "./api.ts";

/** A route handler that answers the requests it knows and returns false for the others. */
export type Routes = (req: IncomingMessage, res: ServerResponse) => boolean;

/**
 * The dashboard's static files: the page, and its bundle built by `pnpm --filter @ballast/keeper build:dashboard`.
 * They sit in the keeper package's `dashboard/`: two levels above this source file, one above the built bin
 * (`dist/ballast.js`, where this module is bundled).
 */
const ROOT =
  [new URL("../../dashboard/", import.meta.url), new URL("../dashboard/", import.meta.url)].find((dir) =>
    existsSync(new URL("index.html", dir)),
  ) ?? new URL("../../dashboard/", import.meta.url);
const ASSETS: Record<string, { file: string; type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/app.js": { file: "dist/app.js", type: "text/javascript; charset=utf-8" },
  "/app.css": { file: "dist/app.css", type: "text/css; charset=utf-8" },
};

/** The dashboard's bundle is missing: the keeper was installed without `dashboard/dist`. */
export class DashboardAssetsError extends BallastError {
  override name = "DashboardAssetsError";
}

const loadAssets = (): Map<string, { body: Buffer; type: string }> => {
  try {
    return new Map(
      Object.entries(ASSETS).map(([path, a]) => [
        path,
        { body: readFileSync(new URL(a.file, ROOT)), type: a.type },
      ]),
    );
  } catch (e) {
    throw new DashboardAssetsError("The dashboard's files are missing.", {
      details: "Build them with: pnpm --filter @ballast/keeper build:dashboard",
      cause: e,
    });
  }
};

const HEADERS = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

const RANGES: Record<string, number> = { "1h": 3_600, "24h": 86_400, "7d": 604_800, "30d": 2_592_000 };

/** `[from, to]` of `/api/history`: `?range=1h|24h|7d|30d|all` (default 24h) or `?from=&to=` in unix seconds. */
export function historyRange(query: URLSearchParams, now: number): { from: number; to: number } | null {
  const from = query.get("from");
  if (from !== null) {
    const to = query.get("to");
    const f = Number(from);
    const t = to === null ? now : Number(to);
    return Number.isSafeInteger(f) && Number.isSafeInteger(t) && f <= t ? { from: f, to: t } : null;
  }
  const range = query.get("range") ?? "24h";
  if (range === "all") return { from: 0, to: now };
  const span = RANGES[range];
  return span === undefined ? null : { from: now - span, to: now };
}

const sameSecret = (given: string, token: string): boolean => {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
};

/** What the dashboard needs: the journal, the chains (with explorers) and, under `ballast run`, live health. */
export type DashboardOptions = {
  journal: Journal;
  chains: () => ChainInfo[];
  source: "keeper" | "journal";
  /** Bearer token required by `/api/*`; the page itself holds no data and is served without it. */
  token: string | null;
  /** Unix seconds. */
  now: () => number;
};

/**
 * The read-only dashboard: the page and its bundle at `/`, `/app.js`, `/app.css`, and the JSON API at
 * `/api/status` and `/api/history`. GET and HEAD only; nothing on it can change the keeper or the journal.
 */
export function dashboardRoutes(o: DashboardOptions): Routes {
  const assets = loadAssets();
  const json = (res: ServerResponse, status: number, body: unknown) =>
    res
      .writeHead(status, { ...HEADERS, "content-type": "application/json", "cache-control": "no-store" })
      .end(JSON.stringify(body));
  return (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const asset = assets.get(url.pathname === "/index.html" ? "/" : url.pathname);
    const api = url.pathname === "/api/status" || url.pathname === "/api/history";
    if (!asset && !api) return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { ...HEADERS, allow: "GET, HEAD" }).end("read-only\n");
      return true;
    }
    if (asset) {
      res
        .writeHead(200, { ...HEADERS, "content-type": asset.type, "cache-control": "no-cache" })
        .end(asset.body);
      return true;
    }
    const auth = req.headers.authorization ?? "";
    if (o.token !== null && !(auth.startsWith("Bearer ") && sameSecret(auth.slice(7), o.token))) {
      res.setHeader("www-authenticate", 'Bearer realm="ballast"');
      json(res, 401, { error: "a bearer token is required (keeper.dashboard.token)" });
      return true;
    }
    const range = url.pathname === "/api/status" ? undefined : historyRange(url.searchParams, o.now());
    if (range === null)
      json(res, 400, { error: "expected ?range=1h|24h|7d|30d|all or ?from=&to= (unix seconds)" });
    else
      (range
        ? historyOf(o.journal, range.from, range.to)
        : statusOf(o.journal, o.chains(), o.source, o.now())
      )
        .then((body) => json(res, 200, body))
        .catch((e: unknown) =>
          json(res, 503, {
            error: `the journal could not be read: ${redactText(e instanceof Error ? e.message : String(e))}`,
          }),
        );
    return true;
  };
}

/** The configured chains for the dashboard, with the daemon's per-chain health (`lastCycleAt` in ms) when live. */
export function chainInfos(
  chains: Record<string, { chainId: number; explorer?: string | undefined }>,
  health?: Record<string, { at: number | null; error: string | null }>,
): ChainInfo[] {
  return Object.entries(chains).map(([key, c]) => {
    const h = health?.[key];
    return {
      key,
      chainId: c.chainId,
      explorer: c.explorer ?? null,
      ...(h
        ? { health: { lastCycleAt: h.at === null ? null : Math.floor(h.at / 1000), error: h.error } }
        : {}),
    };
  });
}
