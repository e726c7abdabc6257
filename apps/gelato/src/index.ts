/**
 * The Web3 Function entry (what Gelato bundles): registers {@link handler} as `onRun`. Only this file imports the
 * SDK runtime, so tests import the handler without side effects.
 */
import { Web3Function, type Web3FunctionContext } from "@gelatonetwork/web3-functions-sdk";
import { handler } from "./handler.ts";

Web3Function.onRun((context: Web3FunctionContext) => handler(context));
