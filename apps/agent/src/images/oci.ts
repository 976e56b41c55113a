/** The image-spec helpers the agent uses, re-exported from libs/oci and libs/common. */
export {
  MANIFEST_ACCEPT,
  MediaType,
  parseManifest,
  parseImageConfig,
  selectPlatform,
  digestOf,
  validateDigest,
  isValidDigest,
  digestPath,
  digestHex,
  InvalidDigestError,
  ConfigInvalidError,
  ManifestInvalidError,
  type ImageManifest,
  type ImageConfig,
  type Descriptor,
} from '#libs/oci';
export { parseImageRef, formatImageRef, type ImageRef } from '#libs/common';
