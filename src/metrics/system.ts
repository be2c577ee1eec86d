/**
 * Host CPU, memory and disk gauges, computed when Prometheus scrapes — never on the request
 * path, and never with a blocking sample (the earlier implementation slept 100 ms per request).
 */
import { readFileSync, statfsSync } from 'node:fs';
import { cpus, freemem, totalmem } from 'node:os';
import type { Gauge } from 'prom-client';

interface CpuTimes {
  idle: number;
  total: number;
}

function cpuTimes(): CpuTimes {
  let idle = 0;
  let total = 0;
  for (const cpu of cpus()) {
    const t = cpu.times;
    idle += t.idle;
    total += t.user + t.nice + t.sys + t.idle + t.irq;
  }
  return { idle, total };
}

/** Bytes of memory available to new work: MemAvailable on Linux, free memory elsewhere. */
function availableMemory(): number {
  try {
    const match = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (match?.[1]) return Number(match[1]) * 1024;
  } catch {
    // not Linux: fall through
  }
  return freemem();
}

/** Space of the filesystem holding `path`, or undefined when it cannot be read (missing path, no permission). */
function diskSpace(path: string): { total: number; free: number; used: number } | undefined {
  try {
    const s = statfsSync(path);
    const total = s.blocks * s.bsize;
    // bavail: space an unprivileged writer can still use, what "free" means to the service.
    return { total, free: s.bavail * s.bsize, used: total - s.bfree * s.bsize };
  } catch {
    return undefined;
  }
}

/**
 * Scrape-time `collect` callbacks for the system gauges. CPU is the busy share of all cores
 * between two scrapes (since start for the first one). A disk path that cannot be read exports
 * no usage (rather than a wrong value) and `readable` 0, so its loss is seen, not silent.
 */
export function systemCollectors(diskPaths: readonly string[]) {
  let previous = cpuTimes();
  return {
    cpu(this: Gauge): void {
      const now = cpuTimes();
      const total = now.total - previous.total;
      const idle = now.idle - previous.idle;
      if (total > 0) {
        this.set(Math.min(100, Math.max(0, (100 * (total - idle)) / total)));
        previous = now;
      }
    },
    memory(this: Gauge): void {
      const total = totalmem();
      const available = availableMemory();
      this.set({ type: 'total' }, total);
      this.set({ type: 'available' }, available);
      this.set({ type: 'used' }, total - available);
    },
    disk(this: Gauge): void {
      this.reset();
      for (const path of diskPaths) {
        const space = diskSpace(path);
        if (!space) continue;
        for (const type of ['total', 'free', 'used'] as const) this.set({ path, type }, space[type]);
      }
    },
    diskReadable(this: Gauge): void {
      for (const path of diskPaths) this.set({ path }, diskSpace(path) ? 1 : 0);
    },
  };
}
