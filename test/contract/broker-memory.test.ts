import { createMemoryBroker } from "../../src/hub/broker-memory.ts";
import { runBrokerContract } from "./broker.contract.ts";

runBrokerContract("memory", async (options) => createMemoryBroker(options));
