/** Where the build's inputs and outputs are, by path from the root (folders are read whole). */
export interface Layout {
  inputs: string[];
  outputs: string[];
}
export const INPUTS: string[];
export const OUTPUTS: string[];
export const STAMP: string;
export function hashInputs(root: string, inputs?: string[]): Record<string, string>;
export function statOutputs(root: string, outputs?: string[]): Record<string, string>;
export function staleness(root: string, layout?: Layout): string | undefined;
export function startBuild(root: string, layout?: Layout): void;
export function finishBuild(root: string, layout?: Layout): void;
