import * as fs from 'fs';
import { ROLES, type Role } from '../../lambdas/shared/access';
import { generatePassword, type LocalUserPool } from './user-pool';

/** A demo user of the local pool: one per role, listed in `.local/endpoints.json`. */
export interface DemoUser {
  readonly email: string;
  readonly role: Role;
  readonly password: string;
}

/** The demo user's address for `role` (example.com never receives mail). */
export const demoEmail = (role: Role): string => `${role}@example.com`;

/**
 * Makes sure `pool` has one confirmed demo user per role, in that role's group, with a password
 * kept in `passwordFile` (so the same users sign in after a restart with `--persist`); a demo user
 * someone removed is created again, and one whose password was changed gets the listed one back. Returns them in role order.
 */
export function ensureDemoUsers(pool: LocalUserPool, passwordFile: string): DemoUser[] {
  const saved: Partial<Record<Role, string>> = fs.existsSync(passwordFile)
    ? (JSON.parse(fs.readFileSync(passwordFile, 'utf8')) as Partial<Record<Role, string>>)
    : {};
  const users: DemoUser[] = [];
  for (const role of ROLES) {
    if (!pool.spec.groups.some((g) => g.groupName === role)) continue;
    const email = demoEmail(role);
    const known = saved[role];
    const password = known ?? generatePassword(pool.spec.passwordPolicy);
    if (!pool.findUser(email)) pool.adminCreateUser(email, { email, email_verified: 'true' });
    pool.adminSetUserPassword(email, password, true);
    pool.adminSetGroup(email, role, true);
    users.push({ email, role, password });
  }
  fs.writeFileSync(passwordFile, JSON.stringify(Object.fromEntries(users.map((u) => [u.role, u.password]))));
  return users;
}
