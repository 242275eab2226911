export * from './demo-users';
export * from './jwt';
export * from './server';
export * from './template';
export * from './user-pool';
