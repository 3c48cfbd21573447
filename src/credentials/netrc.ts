import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { reasonOf } from '../errno-text.js';
import { DlpoolError, UsageError } from '../errors.js';
import type { EventListener } from '../events.js';

/** One `machine` (or the `default`) entry of a netrc file. */
export interface NetrcEntry {
  /** Lower-cased host name; undefined for `default`, which any host given to the run matches. */
  machine: string | undefined;
  login: string | undefined;
  password: string | undefined;
}

/** Which netrc a run reads, as normalizeOptions settles it from `netrc` and `netrcFile`. */
export interface NetrcChoice {
  file: string;
  /** --netrc-file: the file must be there. --netrc: a missing ~/.netrc is no credentials, as in curl. */
  required: boolean;
}

/** Larger than any netrc a person keeps: a link to something else is refused, not read whole. */
const MAX_BYTES = 1024 * 1024;

/**
 * `netrcFile` wins over `netrc` (curl: --netrc-file implies --netrc). The home folder is the run's `env.HOME`,
 * else the account's (the library reads no environment of its own).
 */
export function netrcChoice(
  netrc: unknown,
  netrcFile: unknown,
  env: Readonly<Record<string, string | undefined>> | undefined,
): NetrcChoice | undefined {
  if (netrcFile !== undefined) {
    if (typeof netrcFile !== 'string' || netrcFile === '')
      throw new UsageError('netrcFile: expected a file path');
    return { file: path.resolve(netrcFile), required: true };
  }
  if (netrc === undefined || netrc === false) return undefined;
  if (netrc !== true) throw new UsageError(`netrc: expected true or false, got ${String(netrc)}`);
  const home = env?.['HOME'] || os.homedir();
  return { file: path.join(home, '.netrc'), required: false };
}

/**
 * Reads and parses the netrc the run asked for. A file anyone but its owner may read gets one warning (its
 * passwords are not private), as ftp and curl's documentation warn; it is still used.
 */
export async function loadNetrc(choice: NetrcChoice, emit: EventListener): Promise<NetrcEntry[]> {
  let text: string;
  const { file } = choice;
  try {
    // Non-blocking open: a FIFO named as the netrc must not hang the run before fstat refuses it.
    const fh = await fs.open(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    try {
      const st = await fh.stat();
      // curl reads `--netrc-file /dev/null` as an empty netrc: the usual way to say "no netrc" in a script.
      if (await isNullDevice(st)) return [];
      if (!st.isFile()) throw inputError(`cannot read netrc file '${file}': not a regular file`);
      if (st.size > MAX_BYTES) throw inputError(`cannot read netrc file '${file}': larger than 1 MiB`);
      if ((st.mode & 0o044) !== 0) {
        const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
        emit({
          type: 'warning',
          message: `netrc file '${file}' is readable by others (mode ${mode}): chmod 600 it to keep its passwords private`,
        });
      }
      text = await fh.readFile('utf8');
    } finally {
      await fh.close();
    }
  } catch (err) {
    if (err instanceof DlpoolError) throw err;
    if (!choice.required && (err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new DlpoolError('ERR_DL_INPUT', `cannot read netrc file '${file}': ${reasonOf(err)}`, {
      cause: err,
    });
  }
  return parseNetrc(text, file);
}

/** The file opened is the null device (`/dev/null` or a link to it), not merely named so. */
async function isNullDevice(st: { isCharacterDevice(): boolean; rdev: number }): Promise<boolean> {
  if (!st.isCharacterDevice()) return false;
  const devNull = await fs.stat(os.devNull).catch(() => undefined);
  return devNull !== undefined && devNull.isCharacterDevice() && devNull.rdev === st.rdev;
}

function inputError(message: string): DlpoolError {
  return new DlpoolError('ERR_DL_INPUT', message);
}

interface Token {
  text: string;
  line: number;
}

/**
 * Whitespace-separated tokens, as curl reads them (a token may sit on any line after its keyword); a token
 * may be double-quoted, with \" \\ \n \r \t inside, as curl allows since 7.84. `macdef NAME` and the lines
 * after it up to an empty line are skipped.
 */
function* tokens(text: string, file: string): Generator<Token> {
  let i = 0;
  let line = 1;
  const n = text.length;
  let afterMacdef = 0;
  while (i < n) {
    const c = text[i]!;
    if (c === '\n') {
      line++;
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
      i++;
      continue;
    }
    if (c === '#' && afterMacdef === 0) {
      // A comment runs to the end of its line (curl and GNU inetutils take '#' at a token's start).
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    const at = line;
    let t = '';
    if (c === '"') {
      i++;
      for (;;) {
        if (i >= n || text[i] === '\n') throw parseError(file, at, 'a quoted token is not closed');
        const q = text[i++]!;
        if (q === '"') break;
        if (q === '\\' && i < n) {
          const e = text[i++]!;
          t += e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e;
        } else t += q;
      }
    } else {
      while (i < n && !/\s/.test(text[i]!)) t += text[i++];
    }
    if (afterMacdef === 1) {
      // The macro's name read: its body runs to the first empty line.
      afterMacdef = 0;
      const end = text.indexOf('\n\n', i);
      const stop = end === -1 ? n : end + 2;
      for (let k = i; k < stop; k++) if (text[k] === '\n') line++;
      i = stop;
      continue;
    }
    if (t === 'macdef') {
      afterMacdef = 1;
      continue;
    }
    yield { text: t, line: at };
  }
}

function parseError(file: string, line: number, what: string): DlpoolError {
  return new DlpoolError('ERR_DL_INPUT', `${file}:${line}: ${what}`);
}

/** The entries of a netrc file (`machine`, `default`, `login`, `password`; `account` read and ignored). */
export function parseNetrc(text: string, file: string): NetrcEntry[] {
  const entries: NetrcEntry[] = [];
  let current: NetrcEntry | undefined;
  const it = tokens(text, file);
  const valueOf = (key: Token): string => {
    const v = it.next();
    if (v.done) throw parseError(file, key.line, `'${key.text}' needs a value`);
    return v.value.text;
  };
  for (let r = it.next(); !r.done; r = it.next()) {
    const tok = r.value;
    switch (tok.text) {
      case 'machine':
        entries.push(
          (current = { machine: valueOf(tok).toLowerCase(), login: undefined, password: undefined }),
        );
        break;
      case 'default':
        entries.push((current = { machine: undefined, login: undefined, password: undefined }));
        break;
      case 'login':
      case 'password':
      case 'account': {
        if (current === undefined) {
          throw parseError(file, tok.line, `'${tok.text}' before any 'machine' or 'default'`);
        }
        const v = valueOf(tok);
        if (tok.text !== 'account') current[tok.text] = v;
        break;
      }
      default:
        throw parseError(
          file,
          tok.line,
          `unknown token '${tok.text}' (expected machine, default, login, password, account or macdef)`,
        );
    }
  }
  return entries;
}

/**
 * The netrc entry for `url`: the first `machine` naming its host (the port is not part of it, as in curl), else
 * the `default`. With a user name in the URL, only an entry with that `login` (its password fills in the URL's).
 */
export function netrcEntryFor(entries: readonly NetrcEntry[], url: URL): NetrcEntry | undefined {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  const user = url.username ? decodeURIComponent(url.username) : undefined;
  const fits = (e: NetrcEntry) => user === undefined || e.login === user;
  return (
    entries.find((e) => e.machine === host && fits(e)) ??
    entries.find((e) => e.machine === undefined && fits(e))
  );
}
