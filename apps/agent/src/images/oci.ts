/** The image-spec helpers the agent uses, re-exported from libs/oci and libs/common. */
export {
  MANIFEST_ACCEPT, MediaType, parseManifest, selectPlatform, digestOf,
  type ImageManifest, type ImageConfig, type Descriptor,
} from '../../../../libs/oci/src/index.js';
export { parseImageRef, formatImageRef, type ImageRef } from '../../../../libs/common/src/index.js';
