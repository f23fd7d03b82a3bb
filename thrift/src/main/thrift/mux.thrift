/*
 * Mux protocol: presenter <-> chat server.
 *
 * A mux connection carries many client streams. Every frame on the wire is a 4-byte big-endian length N
 * followed by N bytes: one `Frame` union encoded with TCompactProtocol. docs/protocol.md has the byte
 * layouts, limits and error behaviour; this file is the schema.
 */
namespace java dev.duet.thrift.mux

/** The only version this schema describes. HELLO carries it; a peer speaking another version is refused. */
const i32 PROTOCOL_VERSION = 1

/** First frame in each direction. Settings apply to what the sender is willing to receive. */
struct Hello {
  1: i32 version,
  /** Stable id of the sending node (presenter id or chat server member id), for logs and metrics. */
  2: string nodeId,
  /** Credit, in DATA payload bytes, each new stream starts with in the receiver's direction. */
  3: i32 initialStreamWindow,
  /** Credit, in DATA payload bytes, for the whole connection. */
  4: i32 initialConnectionWindow,
  /** Largest frame (the N of the length prefix) the sender accepts. */
  5: i32 maxFrameSize,
  /** Most streams open at once that the sender accepts on this connection; absent: no limit. */
  6: optional i32 maxConcurrentStreams,
  /**
   * The sender takes part in stream handover (MOVE, CLOSE with a Handover, OPEN with a Resume, RESUMED). A chat
   * server sends MOVE only to a presenter that said so; absent: false.
   */
  7: optional bool streamHandover,
}

/** How the client reached its presenter. */
enum ClientTransport {
  /** TLS over TCP. */
  TCP = 1,
  /** One bidirectional QUIC stream (TLS 1.3 inside QUIC). */
  QUIC = 2,
}

/** Facts about the client's TLS session, as seen by the presenter that terminated it. */
struct TlsInfo {
  1: string protocol,
  2: string cipherSuite,
  3: bool resumed,
  4: optional string serverName,
  /** Absent: TCP. */
  5: optional ClientTransport transport,
  /** QUIC only: the first frame came in 0-RTT early data, which an attacker could have replayed. */
  6: optional bool earlyData,
}

/**
 * Opens a stream (sent by the presenter, which allocates positive stream ids, never reused on
 * one connection). The chat server treats `firstFrame` as if the client had sent those bytes first.
 */
struct Open {
  1: i32 streamId,
  /** Epoch of the ring view the presenter routed with. */
  2: i64 ringEpoch,
  /** Identities the presenter verified from the client's token. */
  3: string userId,
  4: string coupleId,
  5: string partnerId,
  /** Client address as "ip:port". */
  6: string clientAddress,
  7: optional TlsInfo tls,
  /** The client's whole first client-protocol frame, length prefix included. */
  8: binary firstFrame,
  /**
   * Members of the ring this presenter cannot reach (no healthy mux connection): it routed as if they were not on
   * the ring, and so may the receiver, which then takes the couple over (fenced in storage). Absent: none.
   */
  9: optional list<string> unreachable,
  /** Present: this stream continues a session another chat server handed over (docs/protocol.md, "Handover"). */
  10: optional Resume resume,
}

/** What a resumed stream carries on from the chat server that handed it over. */
struct Resume {
  /** The last message seq the old owner pushed to the client: the new owner pushes from the next one. */
  1: i64 lastPushedSeq,
}

/** Raw client-protocol bytes of one stream, in any split. The receiver re-frames them. */
struct Data {
  1: i32 streamId,
  2: binary payload,
}

/** Half-close: the sender will send no more DATA on this stream. */
struct Close {
  1: i32 streamId,
  /**
   * Chat server to presenter only, and only after the presenter's CLOSE answered a MOVE: the stream ends here and
   * the session carries on at another chat server.
   */
  2: optional Handover handover,
}

/** Where a handed-over session stopped, for the presenter to resume it elsewhere. */
struct Handover {
  /** The OPEN the stream began with at this chat server: identities, first frame (its streamId is meaningless). */
  1: Open original,
  /** The last message seq pushed to the client on this stream. */
  2: i64 lastPushedSeq,
  /**
   * Client bytes this chat server received and did not consume: everything after the last whole client frame it
   * decoded. The presenter sends them first on the new stream, then what the client sent since.
   */
  3: binary unread,
  /** The ring member the sender believes owns the couple now, and the epoch of its ring view. */
  4: optional string owner,
  5: optional i64 ringEpoch,
}

/**
 * Chat server to presenter: the sender wants to hand this stream over. The presenter stops relaying the client's bytes
 * to it, holds what arrives, and sends CLOSE after the last DATA; the chat server answers with CLOSE carrying a
 * Handover (or, failing, with sessionEnding and RESET as without handover).
 */
struct Move {
  1: i32 streamId,
}

/** Chat server to presenter: the resumed stream is accepted (the token verified, the couple claimed). */
struct Resumed {
  1: i32 streamId,
}

enum ResetCode {
  /** NACK: the receiver does not own the couple; `owner` names the member it believes does. Safe to retry there. */
  NOT_OWNER = 1,
  /** The couple moved to another chat server after a ring change. Safe to route again. */
  MOVED = 2,
  /** The token did not verify on the chat server. */
  AUTH_FAILED = 3,
  /** NACK: the receiver is overloaded or draining. Safe to retry elsewhere or later. */
  OVERLOAD = 4,
  /** The stream carried bytes the receiver could not parse or that broke a limit. */
  PROTOCOL_ERROR = 5,
  /** A fault inside the receiver. */
  INTERNAL = 6,
  /** The sender no longer wants the stream (the client went away). */
  CANCEL = 7,
}

/** Aborts one stream at once, in both directions. */
struct Reset {
  1: i32 streamId,
  2: ResetCode code,
  /** With NOT_OWNER and MOVED: the ring member id the sender believes owns the couple. */
  3: optional string owner,
  /** With NOT_OWNER and MOVED: the epoch of the sender's ring view. */
  4: optional i64 ringEpoch,
  5: optional string message,
}

/** Grants `increment` more bytes of DATA payload credit; stream id 0 means the whole connection. */
struct WindowUpdate {
  1: i32 streamId,
  2: i32 increment,
}

/** Liveness and round-trip time. The receiver of a ping with ack=false answers with the same opaque value and ack=true. */
struct Ping {
  1: i64 opaque,
  2: bool ack,
}

/** Graceful drain: the sender accepts no stream above `lastStreamId`; open streams finish normally. */
struct GoAway {
  1: i32 lastStreamId,
  2: optional string reason,
}

union Frame {
  1: Hello hello,
  2: Open open,
  3: Data data,
  4: Close close,
  5: Reset reset,
  6: WindowUpdate windowUpdate,
  7: Ping ping,
  8: GoAway goAway,
  9: Move move,
  10: Resumed resumed,
}
