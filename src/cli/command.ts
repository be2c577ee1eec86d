/**
 * What every CLI command shares, in one place: where it writes its lines, its arguments read the
 * same way (strict options, `-h/--help` prints the usage, a bad argument prints the problem and the
 * usage: exit code 2), and a bad environment variable (ConfigError) printed as `name: message`
 * with exit code 1.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError } from '../config.ts';

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

/** What a command's action is given. */
export interface CommandInput<T extends Options, P extends boolean, O extends Output> {
  /** The parsed options. */
  values: Parsed<T, P>['values'];
  /** The arguments that are not options (only when the command allows them). */
  positionals: string[];
  env: NodeJS.ProcessEnv;
  io: O;
  /** Prints `name: problem` and the usage; returns 2, the exit code of a bad argument. */
  usageError: (problem: string) => number;
  /** Prints `name: problem`; returns 1, the exit code of a command that could not do its work. */
  fail: (problem: string) => number;
}

/** A CLI command: the arguments after its name in, the exit code out. */
export type Command<O extends Output = Output> = (argv: string[], env?: NodeJS.ProcessEnv, io?: O) => Promise<number>;

/** How a command is declared. */
export interface CommandSpec<T extends Options, P extends boolean, O extends Output> {
  name: string;
  usage: string;
  options: T;
  /** Whether arguments other than options are allowed. */
  positionals?: P;
  /** Where the command writes when no `io` is given (the process's streams if absent). */
  defaultIo?: () => O | Promise<O>;
  action: (input: CommandInput<T, P, O>) => number | Promise<number>;
}

/**
 * Declares a command: the returned function parses `argv` against `spec.options` (plus
 * `-h/--help`), runs the action, and turns a ConfigError thrown anywhere in it into one error line
 * and exit code 1. Any other error is a bug and propagates.
 */
export function defineCommand<T extends Options, P extends boolean = false, O extends Output = Output>(spec: CommandSpec<T, P, O>): Command<O> {
  return async (argv, env = process.env, given) => {
    const io = given ?? (spec.defaultIo ? await spec.defaultIo() : (processOutput as O));
    const usageError = (problem: string) => {
      io.err(`${spec.name}: ${problem}\n${spec.usage}`);
      return 2;
    };
    const fail = (problem: string) => {
      io.err(`${spec.name}: ${problem}`);
      return 1;
    };
    let parsed: Parsed<T, P>;
    try {
      parsed = parseArgs({ args: argv, options: { ...spec.options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: spec.positionals ?? false }) as Parsed<T, P>;
    } catch (err) {
      return usageError((err as Error).message);
    }
    if ((parsed.values as { help?: boolean }).help) {
      io.out(spec.usage);
      return 0;
    }
    try {
      return await spec.action({ values: parsed.values, positionals: parsed.positionals, env, io, usageError, fail });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      return fail(err.message);
    }
  };
}
