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
}

/** Facts about the client's TLS session, as seen by the presenter that terminated it. */
struct TlsInfo {
  1: string protocol,
  2: string cipherSuite,
  3: bool resumed,
  4: optional string serverName,
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
}

/** Raw client-protocol bytes of one stream, in any split. The receiver re-frames them. */
struct Data {
  1: i32 streamId,
  2: binary payload,
}

/** Half-close: the sender will send no more DATA on this stream. */
struct Close {
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
}
