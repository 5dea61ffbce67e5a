/** Subcommands of `jit386`, by name. */
export interface Command {
  summary: string;
  run(args: string[]): Promise<number>;
}

export const COMMANDS: Record<string, Command> = {};
