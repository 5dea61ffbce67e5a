/** An error the user caused (bad option, unreadable or malformed input): one line, no trace. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}
