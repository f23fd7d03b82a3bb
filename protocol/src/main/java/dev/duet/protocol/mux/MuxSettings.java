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
 */
public record MuxSettings(String nodeId, int initialStreamWindow, int initialConnectionWindow, int maxFrameSize) {
    public static final int DEFAULT_STREAM_WINDOW = 64 * 1024;
    public static final int DEFAULT_CONNECTION_WINDOW = 4 * 1024 * 1024;

    public MuxSettings {
        if (initialStreamWindow <= 0 || initialConnectionWindow <= 0) {
            throw new IllegalArgumentException("windows must be positive");
        }
        if (maxFrameSize < 1024) {
            throw new IllegalArgumentException("maxFrameSize must be at least 1024: " + maxFrameSize);
        }
    }

    public static MuxSettings defaults(String nodeId) {
        return new MuxSettings(nodeId, DEFAULT_STREAM_WINDOW, DEFAULT_CONNECTION_WINDOW, MuxFrames.DEFAULT_MAX_FRAME_SIZE);
    }

    Hello toHello() {
        return new Hello(muxConstants.PROTOCOL_VERSION, nodeId, initialStreamWindow, initialConnectionWindow,
                maxFrameSize);
    }

    static MuxSettings fromHello(Hello hello) {
        return new MuxSettings(hello.getNodeId(), hello.getInitialStreamWindow(), hello.getInitialConnectionWindow(),
                hello.getMaxFrameSize());
    }
}
