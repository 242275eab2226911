import * as fs from 'fs';
import * as path from 'path';
import { RUNBOOK_ANCHORS } from '../../../lib/constructs/operations-monitoring';

/** The subcommands of `npm run ops` (scripts/ops.ts), each run by test/e2e/ops.test.ts. */
const OPS_COMMANDS = ['redrive', 'replay-quarantine', 'reshard', 'status'];

const runbook = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'operations.md'), 'utf8');

/** The `### ` sections of the runbook: heading → body. */
function sections(): Map<string, string> {
  const out = new Map<string, string>();
  const parts = runbook.split(/^### /m).slice(1);
  for (const part of parts) {
    const newline = part.indexOf('\n');
    out.set(part.slice(0, newline).trim(), part.slice(newline + 1));
  }
  return out;
}

describe('docs/operations.md runbook', () => {
  it('has exactly one section per alarm anchor, in the contract order', () => {
    expect([...sections().keys()]).toEqual(RUNBOOK_ANCHORS);
  });

  it('names a repository command in every section (what to do), and only ops subcommands that exist', () => {
    for (const [anchor, body] of sections()) {
      expect({ anchor, hasCommand: /npm run (ops|report|produce) -- |npx cdk deploy/.test(body) }).toEqual({ anchor, hasCommand: true });
      for (const [, command] of body.matchAll(/npm run ops -- ([a-z-]+)/g)) expect(OPS_COMMANDS).toContain(command);
    }
  });

  it('links only to sections that exist', () => {
    const anchors = new Set([...sections().keys(), 'business-metrics', 'alert-e-mails', 'the-commands-npm-run-ops', 'runbook']);
    for (const [, target] of runbook.matchAll(/\]\(#([a-z0-9-]+)\)/g)) expect(anchors).toContain(target);
  });
});
