// Jest's default order (failed first, then longest or largest first), except for the end-to-end
// suites, which `npm test` runs one at a time beside the unit lane (scripts/test.ts): the ones
// that mostly wait for the clock (tumbling windows of a minute) go first, while the other lane
// keeps the cores busy; the ones that assert stop and lag times under load go last, when the
// other lane is done. Plain JavaScript: jest loads it untransformed.
const Sequencer = require('@jest/test-sequencer').default;
const path = require('path');

/** E2E suites by file name: first the waiting ones, last the timed ones; the rest in between. */
const FIRST = ['analytics.test.ts', 'hostile-events.test.ts'];
const LAST = ['local-stop.test.ts', 'realtime.test.ts'];

/** @param {string} file */
function rank(file) {
  if (path.basename(path.dirname(file)) !== 'e2e') return 0;
  const name = path.basename(file);
  if (FIRST.includes(name)) return FIRST.indexOf(name) - FIRST.length;
  if (LAST.includes(name)) return 1 + LAST.indexOf(name);
  return 0;
}

class E2eAwareSequencer extends Sequencer {
  /** @param {Array<import('@jest/test-result').Test>} tests */
  async sort(tests) {
    const sorted = await super.sort(tests);
    // Array.prototype.sort is stable: equal ranks keep jest's order.
    return [...sorted].sort((a, b) => rank(a.path) - rank(b.path));
  }
}

module.exports = E2eAwareSequencer;
