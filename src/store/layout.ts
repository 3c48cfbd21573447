/**
 * dlpool's own folder in an output directory and what it holds: the one place that knows these names. No download
 * takes the folder's name (NameRegistry claims it), and manifests never list what is inside.
 */
export const OWN_DIR = '.dlpool';
/** OWN_DIR in any case: the name no download takes (sanitizeName) and that a walk of the directory skips. */
export const OWN_DIR_NAME = /^\.dlpool$/i;
/** Folder names under OWN_DIR: one marker and sums file per finished shard (ShardStore), -N's ETag records. */
export const SHARDS = 'shards';
export const ETAGS = 'etags';
/** `.dlpool/shards` and `.dlpool/etags`, relative to the output directory, `/`-separated. */
export const SHARDS_REL = `${OWN_DIR}/${SHARDS}`;
export const ETAGS_REL = `${OWN_DIR}/${ETAGS}`;
