import type { Routes } from "./server.ts";

/** What the worker's dashboard lists: the portfolios it holds, each ok or not (its `/healthz` body). */
export type HeldPortfolios = {
  ok: boolean;
  owner: string;
  journal: { ok: boolean; error: string | null };
  portfolios: Record<string, { ok: boolean }>;
};

const html = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The worker's index page: one line per held portfolio, its health, and a link to its dashboard. */
export function heldPortfoliosPage(h: HeldPortfolios): string {
  const rows = Object.entries(h.portfolios)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([name, p]) =>
        `<tr><td><a href="/?portfolio=${encodeURIComponent(name)}">${html(name)}</a></td><td>${p.ok ? "ok" : "NOT OK"}</td></tr>`,
    );
  const journal = h.journal.ok ? "reachable" : `UNREACHABLE: ${html(h.journal.error ?? "")}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8" /><title>Ballast worker</title><link rel="icon" href="data:," />
<link rel="stylesheet" href="/app.css" /></head>
<body><main><section class="card wide">
<h2>Worker ${html(h.owner)}: ${rows.length} portfolio(s) held, ${h.ok ? "healthy" : "NOT healthy"}</h2>
<p>Journal ${journal}.</p>
${rows.length ? `<table><thead><tr><th>portfolio</th><th>health</th></tr></thead><tbody>${rows.join("")}</tbody></table>` : "<p>No portfolio held (a standby, or cut off from the journal).</p>"}
</section></main></body></html>
`;
}

/**
 * The dashboard of `ballast work`: at `/`, the portfolios this worker holds with their health, each linking to its
 * own dashboard (`/?portfolio=NAME`: the page of `run`, whose `/api/*` calls name the portfolio); `/api/status` and
 * `/api/history` answer for `?portfolio=NAME` when this worker holds it (404 when another does), by that portfolio's
 * routes (its `keeper.dashboard.token`). Read-only, GET and HEAD, as under `run`.
 */
export function workerDashboardRoutes(o: {
  held: () => Promise<HeldPortfolios>;
  /** The dashboard routes of each portfolio this worker holds, by name. */
  portfolios: () => ReadonlyMap<string, Routes>;
}): Routes {
  return (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const name = url.searchParams.get("portfolio");
    const api = url.pathname.startsWith("/api/");
    if ((url.pathname === "/" || url.pathname === "/index.html") && name === null) {
      if (req.method !== "GET" && req.method !== "HEAD") return false;
      o.held().then(
        (h) =>
          res
            .writeHead(200, {
              "content-type": "text/html; charset=utf-8",
              "cache-control": "no-store",
              "content-security-policy": "default-src 'none'; style-src 'self'; img-src data:",
            })
            .end(heldPortfoliosPage(h)),
        () => res.writeHead(503).end("unavailable\n"),
      );
      return true;
    }
    const routes = name === null ? undefined : o.portfolios().get(name);
    if (routes) return routes(req, res);
    if (!api && name === null) {
      // The page's own files are the same for every portfolio: any held one serves them.
      const any = o.portfolios().values().next().value;
      return any ? any(req, res) : false;
    }
    res
      .writeHead(name === null ? 400 : 404, {
        "content-type": "application/json",
        "cache-control": "no-store",
      })
      .end(
        JSON.stringify({
          error:
            name === null
              ? "name a portfolio: ?portfolio=NAME (the page at / lists the ones this worker holds)"
              : `portfolio ${name} is not held by this worker (another worker serves it, or none yet)`,
        }),
      );
    return true;
  };
}
