/**
 * libs/oci: OCI image-spec shapes and helpers shared by the registry, the
 * CLI (image import) and the agent (pull): media types, manifest parsing and
 * platform selection, digests (the one validator and digest → path), image
 * config validation, building a one-layer image, pushing it.
 */
export * from './media-types.js';
export * from './manifest.js';
export * from './digest.js';
export * from './image-config.js';
export * from './build.js';
export * from './push.js';
