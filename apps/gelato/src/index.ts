/**
 * The Web3 Function entry (what Gelato bundles): registers {@link handler} as `onRun` and {@link failHandler} as
 * `onFail`. Only this file imports the SDK runtime, so tests import the handlers without side effects.
 */
import { Web3Function, type Web3FunctionContext } from "@gelatonetwork/web3-functions-sdk";
import { installClientReferrerFetch } from "./fetch-referrer.ts";
import { failHandler, handler } from "./handler.ts";

installClientReferrerFetch(); // ethers v5's `referrer: "client"` under Deno 2 (see fetch-referrer.ts)

Web3Function.onRun((context: Web3FunctionContext) => handler(context));
Web3Function.onFail((context) => failHandler(context));
