/** One URL to download, as read from argv, a list file or stdin, with the aria2 options given under it. */
export interface ListEntry {
  kind: 'entry';
  url: string;
  /** Where it came from: `argv`, a list file's path, or `-` for stdin. */
  source: string;
  /** 1-based line in `source` (for argv: the argument's position). */
  line: number;
  /**
   * Other URLs of the same file (aria2: more URLs on the URL line, separated by tabs): a failed attempt moves to
   * the next one; the name comes from `url`.
   */
  mirrors?: string[] | undefined;
  /** aria2 `out=`: the file name to use, relative to the output directory (and `dir`). */
  out?: string | undefined;
  /** aria2 `dir=`: a sub-directory of the output directory. */
  dir?: string | undefined;
  /** aria2 `checksum=TYPE=HEX`, kept for checksum verification. */
  checksum?: { algorithm: string; hex: string } | undefined;
  /** aria2 `lowest-speed-limit=`: this entry's speed floor in bytes per second (0: none), over --speed-time. */
  lowestSpeedLimit?: number | undefined;
  /**
   * aria2 `header=`, `referer=`, `user-agent=`: this entry's request headers (names in lower case), sent with the
   * run's and replacing a run header of the same name.
   */
  headers?: Record<string, string> | undefined;
  /**
   * aria2 `http-user=` / `http-passwd=`: Basic credentials for this entry's URL (its scheme, host and port only;
   * never a mirror elsewhere or a redirect's other host). Credentials in the URL itself win.
   */
  httpUser?: string | undefined;
  httpPassword?: string | undefined;
  /** aria2 `max-tries=` less one: this entry's --retries (Infinity for `max-tries=0`, aria2's "no limit"). */
  retries?: number | undefined;
  /** aria2 `timeout=`: this entry's --timeout, in ms. */
  timeoutMs?: number | undefined;
  /** Every aria2 option line under this URL, as given (known and unknown). */
  options: Record<string, string>;
  /**
   * The file's relative path, settled before the run because an earlier line of the list took its name (a shard
   * read alone, see ShardOptions.names). @default from `url`, `out` and `dir`
   */
  settledName?: string | undefined;
}

/**
 * A line that could not be used; it becomes a failed entry, and the rest of the list still downloads. A bad
 * option line fails the entry it belongs to as a whole: the error takes the entry's place (`line` is the
 * entry's, `optionLine` the one at fault), and nothing of it downloads.
 */
export interface ListLineError {
  kind: 'error';
  source: string;
  line: number;
  /** The option line at fault, when the error is in the option lines of the entry at `line`. */
  optionLine?: number | undefined;
  /** The URL of that entry, without credentials. */
  url?: string | undefined;
  /** The offending text (trimmed, cut to 200 chars), for the report. */
  text: string;
  code: 'ERR_DL_LIST_LINE' | 'ERR_DL_UNSUPPORTED_SCHEME';
  message: string;
}

/** Something worth telling the user that does not fail anything (an unknown aria2 option). */
export interface ListWarning {
  kind: 'warning';
  source: string;
  line: number;
  message: string;
  /** The aria2 option it is about: a run says it once per option name. */
  option?: string | undefined;
}

export type SourceItem = ListEntry | ListLineError | ListWarning;
