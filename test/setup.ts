import { setDefaultTimeout } from "bun:test";

// Bun 1.4 ignores `timeout` in bunfig.toml; a preload is what sets the default for every test file.
// Integration tests start servers, browsers and redis-server on a busy 2-core machine: give them room.
setDefaultTimeout(30_000);
