/**
 * libs/regauth: the contract between the controller (which knows users,
 * passwords and repository rights, and signs tokens) and apps/registry
 * (which only verifies them): Docker's token-auth scopes and ES256 tokens.
 */
export * from './scope.js';
export * from './token.js';
