import { createLocalBroker } from "../../src/hub/broker-local.ts";
import { runBrokerContract } from "./broker.contract.ts";

runBrokerContract("single-process over memory", async (options) => createLocalBroker(options));
