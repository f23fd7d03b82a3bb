/*
 * Client protocol: mobile client <-> chat server (relayed unparsed by the presenter).
 *
 * Every frame is a 4-byte big-endian length N, then N bytes: a flags byte (bit 0: body is snappy
 * compressed) and the body, one TCompactProtocol message of ChatService (calls and replies) or
 * ClientEvents (server pushes, ONEWAY). docs/protocol.md has the byte layouts and the rules.
 */
namespace java dev.duet.thrift.chat

enum ErrorCode {
  /** The request was malformed or broke a limit (body too long, limit out of range). */
  BAD_REQUEST = 1,
  /** A call other than authenticate arrived before authenticate succeeded. */
  NOT_AUTHENTICATED = 2,
  /** The token was forged, expired, malformed or signed with an unknown key. */
  AUTH_FAILED = 3,
  /** This chat server does not own the couple; reconnect and you will be routed anew. */
  NOT_OWNER = 4,
  /** The server is overloaded or draining; retry later with the same clientMsgId. */
  OVERLOAD = 5,
  /** Storage did not accept the write in time; retry with the same clientMsgId. */
  UNAVAILABLE = 6,
  INTERNAL = 7,
}

exception ChatError {
  1: ErrorCode code,
  2: string message,
}

/** The signed part of a token: base64url(compact(TokenClaims)) "." base64url(HMAC-SHA256(key, those bytes)). */
struct TokenClaims {
  1: string userId,
  2: string coupleId,
  3: string partnerId,
  /** Seconds since the Unix epoch after which the token is refused. */
  4: i64 expiresAt,
  /** Id of the signing key, so keys can rotate. */
  5: string keyId,
}

struct Message {
  /** Per-couple sequence number, from 1, without gaps. */
  1: i64 seq,
  2: string senderId,
  /** The sender's idempotency key: a retry with the same id returns the first seq. */
  3: string clientMsgId,
  /** Server time in milliseconds since the Unix epoch when the message was stored. */
  4: i64 timestamp,
  5: string body,
}

struct AuthRequest {
  1: string token,
  /** Highest seq the client has; the server pushes every later message after the reply. 0 for none. */
  2: i64 lastSeenSeq,
  3: optional string deviceId,
  4: optional string clientVersion,
}

struct AuthResponse {
  1: string userId,
  2: string coupleId,
  3: string partnerId,
  /** Highest seq stored for the couple when the session started. */
  4: i64 lastSeq,
  /** Highest seq the partner has marked read. */
  5: i64 partnerReadSeq,
  6: i64 serverTime,
}

struct SendResult {
  1: i64 seq,
  2: i64 timestamp,
  /** True when this clientMsgId was already stored: seq and timestamp are the first ones. */
  3: bool duplicate,
}

struct History {
  /** Oldest first. */
  1: list<Message> messages,
  /** True when older messages exist before the first one returned. */
  2: bool more,
}

enum SessionEndReason {
  /** The couple moved to another chat server; reconnect. */
  MOVED = 1,
  /** The server is shutting down; reconnect. */
  DRAINING = 2,
  /** The token expired during the session; get a new one. */
  TOKEN_EXPIRED = 3,
}

/** Calls from the client. Every call but authenticate needs a successful authenticate first. */
service ChatService {
  AuthResponse authenticate(1: AuthRequest request) throws (1: ChatError error),
  SendResult sendMessage(1: string clientMsgId, 2: string body) throws (1: ChatError error),
  /** Messages with seq < beforeSeq (0: from the newest), at most `limit` of them, oldest first. */
  History fetchHistory(1: i64 beforeSeq, 2: i32 limit) throws (1: ChatError error),
  void markRead(1: i64 seq) throws (1: ChatError error),
  /** Volatile: forwarded to the partner's live sessions, never stored. */
  void setTyping(1: bool typing) throws (1: ChatError error),
  /** Returns the server time in milliseconds. */
  i64 ping(1: i64 clientTime) throws (1: ChatError error),
}

/** Pushes from the server, sent as ONEWAY messages on the same stream. */
service ClientEvents {
  oneway void messageReceived(1: Message message),
  oneway void partnerTyping(1: string userId, 2: bool typing),
  oneway void readMarkUpdated(1: string userId, 2: i64 seq),
  oneway void sessionEnding(1: SessionEndReason reason, 2: string detail),
}
