package dev.duet.protocol.mux;

import dev.duet.thrift.mux.Hello;
import dev.duet.thrift.mux.muxConstants;

/**
 * What one side of a mux connection announces in its {@code HELLO}: limits on what it is willing to receive.
 *
 * @param nodeId                  stable id of this node, for the peer's logs and metrics
 * @param initialStreamWindow     credit, in DATA payload bytes, each new stream starts with toward us
 * @param initialConnectionWindow credit for the whole connection toward us
 * @param maxFrameSize            largest frame we accept (the length field's value)
 * @param maxConcurrentStreams    most streams open at once we accept on one connection (beyond it: {@code RESET
 *                                OVERLOAD}, a NACK); {@link Integer#MAX_VALUE} for a peer that announced none
 * @param streamHandover          whether we take part in stream handover ({@code MOVE}, {@code CLOSE} with a handover,
 *                                {@code OPEN} with a resume); false for a peer that did not say so
 */
public record MuxSettings(String nodeId, int initialStreamWindow, int initialConnectionWindow, int maxFrameSize,
                          int maxConcurrentStreams, boolean streamHandover) {
    public static final int DEFAULT_STREAM_WINDOW = 64 * 1024;
    public static final int DEFAULT_CONNECTION_WINDOW = 4 * 1024 * 1024;
    public static final int DEFAULT_MAX_CONCURRENT_STREAMS = 16_384;

    public MuxSettings {
        if (initialStreamWindow <= 0 || initialConnectionWindow <= 0) {
            throw new IllegalArgumentException("windows must be positive");
        }
        if (maxConcurrentStreams <= 0) {
            throw new IllegalArgumentException("maxConcurrentStreams must be positive: " + maxConcurrentStreams);
        }
        if (maxFrameSize < 1024) {
            throw new IllegalArgumentException("maxFrameSize must be at least 1024: " + maxFrameSize);
        }
    }

    /** Taking part in stream handover. */
    public MuxSettings(String nodeId, int initialStreamWindow, int initialConnectionWindow, int maxFrameSize,
                       int maxConcurrentStreams) {
        this(nodeId, initialStreamWindow, initialConnectionWindow, maxFrameSize, maxConcurrentStreams, true);
    }

    /** With the default stream limit, taking part in stream handover. */
    public MuxSettings(String nodeId, int initialStreamWindow, int initialConnectionWindow, int maxFrameSize) {
        this(nodeId, initialStreamWindow, initialConnectionWindow, maxFrameSize, DEFAULT_MAX_CONCURRENT_STREAMS);
    }

    public MuxSettings withStreamHandover(boolean enabled) {
        return new MuxSettings(nodeId, initialStreamWindow, initialConnectionWindow, maxFrameSize, maxConcurrentStreams,
                enabled);
    }

    public static MuxSettings defaults(String nodeId) {
        return new MuxSettings(nodeId, DEFAULT_STREAM_WINDOW, DEFAULT_CONNECTION_WINDOW, MuxFrames.DEFAULT_MAX_FRAME_SIZE);
    }

    Hello toHello() {
        return new Hello(muxConstants.PROTOCOL_VERSION, nodeId, initialStreamWindow, initialConnectionWindow,
                maxFrameSize).setMaxConcurrentStreams(maxConcurrentStreams).setStreamHandover(streamHandover);
    }

    static MuxSettings fromHello(Hello hello) {
        return new MuxSettings(hello.getNodeId(), hello.getInitialStreamWindow(), hello.getInitialConnectionWindow(),
                hello.getMaxFrameSize(), hello.isSetMaxConcurrentStreams() ? hello.getMaxConcurrentStreams()
                : Integer.MAX_VALUE, hello.isStreamHandover());
    }
}
