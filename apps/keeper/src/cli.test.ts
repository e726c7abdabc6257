import { BallastError } from "@ballast/core";
import { describe, expect, it } from "vitest";
import { loadDemo } from "./cli.ts";

describe("ballast demo without @ballast/testkit", () => {
  it("says what is missing and how to get it, instead of a module-resolution stack", async () => {
    const absent = () =>
      Promise.reject(
        Object.assign(new Error("Cannot find package '@ballast/testkit' imported from /app/src/demo.ts"), {
          code: "ERR_MODULE_NOT_FOUND",
        }),
      );
    const err = await loadDemo(absent).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BallastError);
    expect((err as BallastError).shortMessage).toContain("needs @ballast/testkit");
    expect((err as BallastError).details).toContain("pnpm demo");
  });

  it("passes any other failure through, and loads the demo when the testkit is installed", async () => {
    const other = new Error("boom");
    await expect(loadDemo(() => Promise.reject(other))).rejects.toBe(other);
    expect(typeof (await loadDemo()).runDemo).toBe("function");
  });
});
