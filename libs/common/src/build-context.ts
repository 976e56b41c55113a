/**
 * BUILD_CONTEXT_REPOSITORY: the cluster-registry repository build contexts
 * are pushed to as blobs (by the CLI) and pulled from (by the builder agent).
 * No manifest refers to them, so registry GC removes them after its grace period.
 */
export const BUILD_CONTEXT_REPOSITORY = 'berth/build-context';
