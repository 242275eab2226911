/**
 * Who holds a TCP port, for the message of a start that finds its port taken: the listening
 * process (pid, command line, parent) read from /proc on Linux, whether it is a service of this
 * project, and whether it is safe to stop.
 */
import * as fs from 'fs';
import * as path from 'path';

/** The process listening on a port, as /proc shows it. */
export interface PortHolder {
  readonly pid: number;
  readonly ppid: number | undefined;
  /** argv joined by spaces (as `ps -o args` shows it). */
  readonly cmdline: string;
  /** Command line of the parent, when it is still there. */
  readonly parentCmdline: string | undefined;
}

/** What a holder is to us: one of our services, and whether whoever started it is still there. */
export type HolderKind =
  { readonly ours: false } | { readonly ours: true; readonly what: 'DynamoDB Local' | 'an npm start'; readonly orphaned: boolean };

/** Inodes of the sockets listening on `port`, from the text of /proc/net/tcp or /proc/net/tcp6. */
export function listeningInodes(procNetTcp: string, port: number): string[] {
  const inodes: string[] = [];
  for (const line of procNetTcp.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10) continue;
    const local = fields[1] ?? '';
    const state = fields[3];
    const inode = fields[9] ?? '0';
    const portHex = local.slice(local.lastIndexOf(':') + 1);
    if (state === '0A' && parseInt(portHex, 16) === port && inode !== '0') inodes.push(inode);
  }
  return inodes;
}

/** The parent pid from the text of /proc/<pid>/stat (the field after the state, after the command name). */
export function parentPidFromStat(stat: string): number | undefined {
  const rest = stat
    .slice(stat.lastIndexOf(')') + 1)
    .trim()
    .split(/\s+/);
  const ppid = Number(rest[1]);
  return Number.isInteger(ppid) && ppid > 0 ? ppid : undefined;
}

function readCmdline(procDir: string, pid: number): string | undefined {
  try {
    const raw = fs.readFileSync(path.join(procDir, String(pid), 'cmdline'), 'utf8');
    return (
      raw
        .split('\0')
        .filter((a) => a !== '')
        .join(' ') || undefined
    );
  } catch {
    return undefined;
  }
}

/**
 * The process listening on `port` (IPv4 or IPv6), or undefined when it cannot be found: not
 * Linux, or the process belongs to another user (its file descriptors cannot be read).
 */
export function findPortHolder(port: number, procDir = '/proc'): PortHolder | undefined {
  const inodes = new Set<string>();
  for (const table of ['tcp', 'tcp6']) {
    try {
      for (const inode of listeningInodes(fs.readFileSync(path.join(procDir, 'net', table), 'utf8'), port)) inodes.add(inode);
    } catch {
      // no such table here (not Linux, or no IPv6)
    }
  }
  if (inodes.size === 0) return undefined;
  let pids: string[];
  try {
    pids = fs.readdirSync(procDir).filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  for (const name of pids) {
    let fds: string[];
    try {
      fds = fs.readdirSync(path.join(procDir, name, 'fd'));
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = fs.readlinkSync(path.join(procDir, name, 'fd', fd));
      } catch {
        continue;
      }
      const match = /^socket:\[(\d+)\]$/.exec(target);
      if (!match || !inodes.has(match[1] ?? '')) continue;
      const pid = Number(name);
      let ppid: number | undefined;
      try {
        ppid = parentPidFromStat(fs.readFileSync(path.join(procDir, name, 'stat'), 'utf8'));
      } catch {
        ppid = undefined;
      }
      return {
        pid,
        ppid,
        cmdline: readCmdline(procDir, pid) ?? '?',
        parentCmdline: ppid === undefined || ppid === 1 ? undefined : readCmdline(procDir, ppid),
      };
    }
  }
  return undefined;
}

function isNode(cmdline: string | undefined): boolean {
  const exe = cmdline?.split(' ')[0] ?? '';
  return path.basename(exe) === 'node' || path.basename(exe).startsWith('node');
}

/**
 * Classifies a holder: DynamoDB Local started by the runtime (orphaned when its parent is gone or
 * is no longer a Node process, i.e. it was re-parented), or a runtime itself (`scripts/start.ts`,
 * orphaned when its launcher is gone).
 */
export function classifyHolder(holder: PortHolder): HolderKind {
  if (/LoopbackDynamoDbLocal|DynamoDBLocal\.jar/.test(holder.cmdline)) {
    return { ours: true, what: 'DynamoDB Local', orphaned: holder.ppid === 1 || !isNode(holder.parentCmdline) };
  }
  if (isNode(holder.cmdline) && /\bscripts\/start\.ts\b/.test(holder.cmdline)) {
    return { ours: true, what: 'an npm start', orphaned: holder.ppid === 1 || holder.parentCmdline === undefined };
  }
  return { ours: false };
}

function shorten(cmdline: string, max = 240): string {
  return cmdline.length > max ? `${cmdline.slice(0, max - 1)}…` : cmdline;
}

/** One or two sentences naming the holder and saying whether (and how) it is safe to stop it. */
export function describePortHolder(holder: PortHolder): string {
  const kind = classifyHolder(holder);
  const who = `It is pid ${holder.pid}: \`${shorten(holder.cmdline)}\``;
  if (!kind.ours)
    return `${who}, not a service of this project: not safe to stop from here; choose another port (\`npm start -- --port\`).`;
  if (kind.what === 'DynamoDB Local') {
    if (kind.orphaned) {
      return `${who}, DynamoDB Local left behind by an earlier \`npm start\` whose runtime is gone (parent ${holder.ppid ?? '?'}): safe to stop with \`kill ${holder.pid}\`.`;
    }
    return `${who}, DynamoDB Local of a runtime that is still running (pid ${holder.ppid ?? '?'}: \`${shorten(holder.parentCmdline ?? '?', 120)}\`): stop that runtime (Ctrl-C, or \`kill -INT ${holder.ppid ?? '?'}\`) or choose another port (\`npm start -- --port\`).`;
  }
  if (kind.orphaned) {
    return `${who}, an \`npm start\` of this project whose launcher is gone: safe to stop with \`kill -INT ${holder.pid}\` (it stops in order).`;
  }
  return `${who}, an \`npm start\` of this project that is still running: stop it with Ctrl-C in its terminal (or \`kill -INT ${holder.pid}\`), or choose another port (\`npm start -- --port\`).`;
}
