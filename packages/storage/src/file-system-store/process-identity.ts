import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * Who holds a lock: enough to tell, from another process on the same host, whether the holder
 * is still alive. A bare pid is not: pids are reused, so the process start time and the boot
 * id (Linux) are kept too.
 */
export interface ProcessIdentity {
  /** Process id. */
  pid: number;
  /** Host name; a holder on another host is always presumed alive. */
  host: string;
  /** Linux boot id: a lock from before a reboot is never held. */
  boot?: string;
  /** Start time of the process in clock ticks since boot (Linux), to tell a reused pid apart. */
  start?: string;
}

let current: ProcessIdentity | undefined;

/** This process's identity. */
export function currentProcessIdentity(): ProcessIdentity {
  current ??= {
    pid: process.pid,
    host: hostname(),
    ...optional('boot', readBootId()),
    ...optional('start', readStartTime(process.pid)),
  };
  return current;
}

/**
 * Whether the process is still running. Errs on the side of "alive" whenever it cannot know
 * (another host, no permission), because wrongly declaring a holder dead breaks mutual exclusion
 * while wrongly declaring it alive only delays (and the caller's timeout reports it).
 */
export function isProcessAlive(identity: ProcessIdentity): boolean {
  const self = currentProcessIdentity();
  if (identity.host !== self.host) return true;
  if (identity.boot !== undefined && self.boot !== undefined && identity.boot !== self.boot) return false;
  if (identity.pid === self.pid) return identity.start === self.start;
  const stat = readProcessStat(identity.pid);
  // Killed but not yet reaped by its parent (a zombie), or being torn down: it holds nothing.
  if (stat !== undefined && (stat.state === 'Z' || stat.state === 'X')) return false;
  if (identity.start !== undefined && self.start !== undefined) {
    // /proc exists on this host (we read our own start time) but not for that pid: it is gone.
    return stat !== undefined && stat.start === identity.start;
  }
  try {
    process.kill(identity.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readBootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return undefined;
  }
}

function readStartTime(pid: number): string | undefined {
  return readProcessStat(pid)?.start;
}

/** The state (field 3: `R`, `S`, `Z`…) and start time (field 22) in `/proc/<pid>/stat`, where readable. */
function readProcessStat(pid: number): { state: string | undefined; start: string | undefined } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
    const afterName = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: afterName[0], start: afterName[19] };
  } catch {
    return undefined;
  }
}

function optional<Name extends string>(name: Name, value: string | undefined): Partial<Record<Name, string>> {
  return value === undefined ? {} : ({ [name]: value } as Record<Name, string>);
}
