/** What `GET /` answers in synthetic mode (and `dlpool serve --help` lists). */
export const ROUTES = [
  'dlpool serve: synthetic files, made on the fly from their path (byte-identical on every request)',
  '',
  '/gen/SIZE/NAME      a file of SIZE bytes (4K, 1M, 2G, or a number), e.g. /gen/1M/photo.jpg',
  '/list/COUNTxSIZE    a URL list of COUNT such files, e.g. /list/100x16K (several: /list/10x1M,100x4K)',
  '/sums/COUNTxSIZE    their sha256sum-format checksums, for dlpool -c or sha256sum -c',
  '',
  'Ranges (Range, If-Range), ETag, Last-Modified and conditional GETs (304, for dlpool -N) are served;',
  '--latency, --rate, --fail-rate and --drop-rate add delays and faults.',
  '',
].join('\n');
