package dev.duet.protocol.client;

/** The client protocol over QUIC, as both ends set it up (docs/protocol.md, 1.4). */
public final class QuicSettings {
    /** The ALPN protocol of the client protocol over QUIC. */
    public static final String ALPN = "duet/1";
    /** Flow-control window of a whole connection, each way: a chat client sends little, and an idle one holds none. */
    public static final long CONNECTION_WINDOW = 1 << 20;
    /** Flow-control window of the session's stream, each way. */
    public static final long STREAM_WINDOW = 256 << 10;

    private QuicSettings() {
    }
}
