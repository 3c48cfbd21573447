import path from 'node:path';
import { filenameFromContentDisposition } from '../jobs/content-disposition.js';
import type { Job } from '../jobs/job.js';
import { relativeName, sanitizeName, sanitizeSubdir } from '../jobs/naming.js';
import type { FetchContext } from './context.js';
import type { GetResponse } from './http.js';

/**
 * The name of a --content-disposition download, claimed when its answer arrives: the server's offer (its last
 * path component, sanitised, inside the entry's dir=) unless the list gave out=, else the URL's name.
 */
export async function chooseNameFromResponse(job: Job, ctx: FetchContext, res: GetResponse): Promise<string> {
  const offered = filenameFromContentDisposition(res.headers['content-disposition']);
  const { out, dir } = job.entry;
  if (offered === undefined || out !== undefined)
    return ctx.names.claim(relativeName({ url: job.url, out, dir }));
  // Only the last component of what the server offers is used: a server never picks the folder.
  const base = sanitizeName(offered.split(/[/\\]/).pop() ?? '');
  const sub = dir ? sanitizeSubdir(dir) : '';
  return ctx.names.claim(sub ? path.posix.join(sub, base) : base);
}
