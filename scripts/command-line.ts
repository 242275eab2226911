/**
 * Runs a command-line entry point (`npm run report`, `npm run ops`): sets the exit code `run`
 * resolves with; an error of one of `userErrors` (a problem the user can fix) is printed as
 * `error: <message>` with exit code 2, anything else with its stack and exit code 1.
 */
export function runCommandLine(
  name: string,
  run: () => Promise<number>,
  userErrors: ReadonlyArray<abstract new (...args: never[]) => Error>,
): void {
  run().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      if (userErrors.some((type) => err instanceof type)) {
        process.stderr.write(`error: ${(err as Error).message}\n`);
        process.exitCode = 2;
        return;
      }
      process.stderr.write(`${name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
