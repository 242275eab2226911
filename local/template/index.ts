/** Cloud assembly loading and CloudFormation template resolution for the local runtime. */
export * from './types';
export * from './assembly';
export * from './resolver';
export * from './resources';
export { RESOURCE_TYPES, deterministicId, deterministicUuid, generatedName, isCustomResourceType } from './resource-types';
export type { NameRule, ResourceContext, TypeSpec } from './resource-types';
