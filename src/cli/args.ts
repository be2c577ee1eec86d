/**
 * What every CLI command shares: where it writes its lines, and reading its arguments the same
 * way (strict options, `-h/--help` prints the usage, a bad argument prints the problem and the
 * usage and means exit code 2).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Where a command writes its lines; the process's streams by default. */
export interface Output {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** The process's stdout and stderr, one line per call. */
export const processOutput: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

type Options = NonNullable<ParseArgsConfig['options']>;
type Parsed<T extends Options, P extends boolean> = ReturnType<typeof parseArgs<{ options: T; allowPositionals: P; strict: true }>>;

/**
 * Parses `argv` of command `name` against `options` (plus `-h/--help`). Returns the parsed values,
 * or the exit code to return at once: 0 after printing the usage for `--help`, 2 after printing
 * the problem and the usage.
 */
export function commandArgs<T extends Options, P extends boolean = false>(
  name: string,
  usage: string,
  argv: string[],
  options: T,
  output: Output,
  allowPositionals = false as P,
): Parsed<T, P> | number {
  let parsed: Parsed<T, P>;
  try {
    parsed = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals }) as Parsed<T, P>;
  } catch (err) {
    output.err(`${name}: ${(err as Error).message}\n${usage}`);
    return 2;
  }
  if ((parsed.values as { help?: boolean }).help) {
    output.out(usage);
    return 0;
  }
  return parsed;
}
