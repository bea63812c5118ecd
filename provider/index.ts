export { ExternalSupportIntegration, ExternalSupportIntegrationArgs, ConnectionArgs } from "./resource/external-support-integration";
export { AuthType, DEFAULT_BASE_URL } from "./api/types";
export {
    JelouError,
    JelouAuthenticationError,
    JelouValidationError,
    JelouNotFoundError,
    JelouConflictError,
    JelouRateLimitError,
    JelouServerError,
    JelouConnectionError,
    JelouTimeoutError,
    JelouUnusableAnswerError,
    JelouIncompleteCreateError,
} from "./api/errors";
export { SecondResourceError } from "./resource/claims";
export { JelouDamagedStateError } from "./resource/state";
export { signPayload, verifySignature, SignatureCheck, SignatureFailureReason, SIGNATURE_HEADER } from "./receiver/signature";
export {
    parseEvent,
    classifyEvent,
    isMessageEvent,
    isConversationStartEvent,
    isConversationCloseEvent,
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
} from "./receiver/events";
