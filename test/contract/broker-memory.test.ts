import { createLocalBroker } from "../../src/hub/broker-local.ts";
import { runBrokerContract } from "./broker.contract.ts";

runBrokerContract("memory", async (options) => createLocalBroker(options));
