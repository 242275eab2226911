import { ACCESS, grantFor, maskAlert, READ_ROUTES, ROLES, rolesFromGroupsClaim } from '../../../lambdas/shared/access';

describe('rolesFromGroupsClaim', () => {
  it('reads the claim as API Gateway passes it (a string) and as a JSON array', () => {
    expect(rolesFromGroupsClaim('analyst')).toEqual(['analyst']);
    expect(rolesFromGroupsClaim('admin,analyst')).toEqual(['admin', 'analyst']);
    expect(rolesFromGroupsClaim('[operator developer]')).toEqual(['operator', 'developer']);
    expect(rolesFromGroupsClaim(['developer', 'analyst'])).toEqual(['developer', 'analyst']);
  });

  it('ignores unknown groups, case variants and non-strings, and gives no role for a missing claim', () => {
    expect(rolesFromGroupsClaim('Admin,guests,admins')).toEqual([]);
    expect(rolesFromGroupsClaim([1, null, 'operator'])).toEqual(['operator']);
    expect(rolesFromGroupsClaim(undefined)).toEqual([]);
    expect(rolesFromGroupsClaim(42)).toEqual([]);
  });

  it('reads at most 25 groups of a claim', () => {
    const many = [...Array.from({ length: 30 }, (_, i) => `g${i}`), 'admin'].join(',');
    expect(rolesFromGroupsClaim(many)).toEqual([]);
  });
});

describe('grantFor', () => {
  it('follows the table for each single role', () => {
    for (const route of READ_ROUTES) {
      for (const role of ROLES) expect(grantFor(route, [role])).toBe(ACCESS[route][role]);
    }
  });

  it('lets admin read everything in full, an analyst alerts masked, and nobody without a role', () => {
    for (const route of READ_ROUTES) {
      expect(grantFor(route, ['admin'])).toBe('full');
      expect(grantFor(route, [])).toBe('deny');
    }
    expect(grantFor('/v1/alerts', ['analyst'])).toBe('masked');
    expect(grantFor('/v1/reports', ['operator'])).toBe('deny');
  });

  it('takes the widest grant of several roles', () => {
    expect(grantFor('/v1/alerts', ['analyst', 'operator'])).toBe('full');
    expect(grantFor('/v1/reports/{name}', ['developer', 'analyst'])).toBe('full');
  });
});

describe('maskAlert', () => {
  it('drops userId and errorMsg and keeps the rest, without changing its input', () => {
    const alert = { kind: 'error', id: 'e1', eventId: 'e1', action: 'pay', userId: 'u1', createdAt: 't', errorMsg: 'boom' };
    expect(maskAlert(alert)).toEqual({ kind: 'error', id: 'e1', eventId: 'e1', action: 'pay', createdAt: 't' });
    expect(alert.userId).toBe('u1');
  });
});
