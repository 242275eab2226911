import { alertsScenario } from './alerts';
import { rechargeScenario } from './recharge';
import { taobaoScenario } from './taobao';
import type { Scenario } from './types';
import { vendingScenario } from './vending';
import { webScenario } from './web';

export type { Scenario, ScenarioContext, ScenarioGenerator } from './types';

/** Every scenario by name, in the order the help lists them. */
export const SCENARIOS: Readonly<Record<string, Scenario>> = {
  web: webScenario,
  taobao: taobaoScenario,
  recharge: rechargeScenario,
  vending: vendingScenario,
  alerts: alertsScenario,
};

export const SCENARIO_NAMES: readonly string[] = Object.keys(SCENARIOS);

/** The scenario called `name`; throws an error listing the valid names when there is none. */
export function getScenario(name: string): Scenario {
  const scenario = Object.prototype.hasOwnProperty.call(SCENARIOS, name) ? SCENARIOS[name] : undefined;
  if (!scenario) throw new Error(`unknown scenario "${name}"; valid scenarios: ${SCENARIO_NAMES.join(', ')}`);
  return scenario;
}
