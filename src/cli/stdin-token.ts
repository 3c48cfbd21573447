/** yargs-parser swallows a bare `-`; it travels through the parser as this token and is mapped back in get. */
export const STDIN_TOKEN = '\u0000stdin';
