import fs from 'node:fs';

/** True while process `pid` has `file` open (Linux /proc); false once it closed it, or the process is gone. */
export function holdsOpen(pid: number, file: string): boolean {
  try {
    return fs.readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === file;
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}
