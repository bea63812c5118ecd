export { ExternalSupportIntegration, ExternalSupportIntegrationArgs, ConnectionArgs } from "./resource";
export { AuthType, DEFAULT_BASE_URL } from "./types";
export {
    JelouError,
    JelouAuthenticationError,
    JelouValidationError,
    JelouNotFoundError,
    JelouConflictError,
    JelouRateLimitError,
    JelouServerError,
    JelouConnectionError,
} from "./errors";
export { signPayload, verifySignature, SignatureCheck, SignatureFailureReason, SIGNATURE_HEADER } from "./signature";
export {
    parseEvent,
    classifyEvent,
    ParseResult,
    ParseFailureReason,
    JelouEvent,
    MessageEvent,
    MessageValue,
    MessageType,
    MESSAGE_TYPES,
    ConversationStartEvent,
    ConversationCloseEvent,
    Assignment,
    TextContent,
    MediaContent,
    CaptionedMediaContent,
    DocumentContent,
} from "./events";
