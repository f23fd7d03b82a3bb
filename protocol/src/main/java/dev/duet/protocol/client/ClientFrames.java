package dev.duet.protocol.client;

/** Constants of the client frame format: {@code length:4 flags:1 body:length-1}. */
public final class ClientFrames {
    /** Default largest frame (the length field's value) a peer accepts: 64 KiB. */
    public static final int DEFAULT_MAX_FRAME_SIZE = 64 * 1024;
    /** Default time a started frame may take to arrive in full. */
    public static final long DEFAULT_FRAME_TIMEOUT_MILLIS = 10_000;
    /** Flags bit 0: the body is one raw (unframed) snappy block. */
    public static final int FLAG_SNAPPY = 0x01;
    /** Flags bits that have a meaning; a frame with any other bit set is refused. */
    public static final int KNOWN_FLAGS = FLAG_SNAPPY;

    private ClientFrames() {
    }
}
