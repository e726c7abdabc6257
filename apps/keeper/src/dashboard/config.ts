import { durationSchema } from "@ballast/config";
import { z } from "zod";
import { envRef } from "../alerts/config.ts";

/** `keeper.dashboard`: the page and `/api/*` on the keeper's listener. */
export const dashboardSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Bearer token for `/api/*` (`env:NAME`); required when `keeper.listen` is not a loopback address. */
    token: envRef.optional(),
    /** A quiet cycle (no plan, same chain errors) is journaled for the drift history at most this often. */
    sampleEvery: durationSchema.default(60),
  })
  .strict();

/** True for 127.0.0.0/8 and `localhost`: addresses only this machine can reach. */
export const isLoopback = (host: string): boolean => host === "localhost" || /^127(\.\d{1,3}){3}$/.test(host);

/** A dashboard listening beyond loopback without a token is refused at config time. */
export function refineDashboard(
  k: { listen: string; dashboard: z.output<typeof dashboardSchema> },
  ctx: z.RefinementCtx,
): void {
  const host = k.listen.split(":")[0] ?? "";
  if (k.dashboard.enabled && !k.dashboard.token && !isLoopback(host))
    ctx.addIssue({
      code: "custom",
      path: ["dashboard", "token"],
      message: `the dashboard listens on ${host}, beyond loopback: set a token (env:NAME) or dashboard.enabled: false`,
    });
}
