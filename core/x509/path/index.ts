export { validatePath, DEFAULT_MAX_DEPTH, type PathValidationInput, type PathValidationResult } from './validate-path.js';
export { PATH_FAILURE_CODES, type PathFailureCode } from './path-failure.js';
export { PURPOSE_OIDS } from './key-purpose.js';
