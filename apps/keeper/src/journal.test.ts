import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openJournal } from "./journal.ts";

describe("journal", () => {
  it("keeps decisions, plans and state across a reopen", () => {
    const dir = mkdtempSync(join(tmpdir(), "ballast-journal-"));
    try {
      const path = join(dir, "nested", "ballast.db");
      const j = openJournal(path);
      j.recordPlan({ id: "0xabc", at: 10, summary: "3 legs", json: "{}" });
      j.recordPlan({ id: "0xabc", at: 11, summary: "dup", json: "{}" });
      j.recordDecision({ at: 12, fire: true, planId: "0xabc", summary: "band fired", json: "{}" });
      j.put("lastRebalanceAt", "12");
      j.close();
      const again = openJournal(path);
      expect(again.get("lastRebalanceAt")).toBe("12");
      const h = again.history();
      expect(h.map((e) => [e.kind, e.summary])).toEqual([
        ["decision", "band fired"],
        ["plan", "3 legs"],
      ]);
      again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
