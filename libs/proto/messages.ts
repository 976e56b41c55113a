/**
 * The dispatcher.proto message types. They are generated at build time
 * (generate.sh writes generated/, which git ignores): the .proto file is the
 * one contract, so a message changes there and nowhere else.
 *
 * A plain name (TaskSpec, AgentMessage) is a message as the loader decodes it
 * (LOADER_OPTIONS): every field present and camelCase, enums and 64-bit
 * integers as numbers, an unset sub-message null, and an envelope's set oneof
 * case named in `msg`. `<Name>Input` is the permissive shape a sender may
 * pass instead (every field optional).
 */
export type * from './generated/index.js';
