import * as readline from 'readline';

/**
 * Asks `question` on the terminal and resolves with the answer; with `hidden`, what is typed is
 * not echoed (passwords, codes). Rejects when stdin is not a terminal, naming the option to give instead.
 */
export function ask(question: string, options: { hidden?: boolean; option: string }): Promise<string> {
  if (!process.stdin.isTTY) return Promise.reject(new Error(`${options.option} is required (no terminal to ask on)`));
  return new Promise((resolve) => {
    const rl = readline.createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    const writer = rl as unknown as { _writeToOutput: (text: string) => void };
    const write = writer._writeToOutput.bind(rl);
    if (options.hidden) writer._writeToOutput = (text: string) => write(text.startsWith(question) ? text : text.replace(/[^\r\n]/g, ''));
    rl.question(question, (answer) => {
      rl.close();
      if (options.hidden) process.stderr.write('\n');
      resolve(answer);
    });
  });
}
