export { LocalFunction, LambdaRequestError, MAX_SYNC_PAYLOAD_BYTES, isValidHandler, lambdaRuntimeEnvironment } from './local-function';
export { toLambdaError } from './types';
export type { InvokeFailure, InvokeFailureKind, InvokeResult, InvokeSuccess, LambdaErrorPayload, LocalFunctionOptions } from './types';
