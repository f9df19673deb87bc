import { readFileSync } from "node:fs";

/** Per-process CPU and memory readings from /proc (Linux), for the server under test. */

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux this runs on (getconf CLK_TCK)

/** The fields of /proc/PID/stat after the command name (which is in parentheses and may hold spaces): state, parent pid, … */
export function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** CPU time (user + system, every thread) the process has used so far, in ms. */
export function cpuMs(pid: number): number {
  const fields = statFields(pid);
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

/** Resident set size, in KB. */
export function rssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) : NaN;
}

/** This process's CPU time so far, in ms. */
export function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Share of the last 10 s in which some runnable task waited for a CPU (Linux PSI), in %; NaN where unavailable. */
export function cpuPressure(): number {
  try {
    const m = /some avg10=([\d.]+)/.exec(readFileSync("/proc/pressure/cpu", "utf8"));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}
