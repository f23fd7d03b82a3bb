package dev.duet.protocol.mux;

import dev.duet.thrift.mux.Close;
import dev.duet.thrift.mux.Frame;
import dev.duet.thrift.mux.GoAway;
import dev.duet.thrift.mux.Hello;
import dev.duet.thrift.mux.Move;
import dev.duet.thrift.mux.Open;
import dev.duet.thrift.mux.Ping;
import dev.duet.thrift.mux.Reset;
import dev.duet.thrift.mux.Resumed;
import dev.duet.thrift.mux.WindowUpdate;

/**
 * Mux frame kinds other than {@code DATA} travel as the generated structs ({@link Hello}, {@link Open}, {@link Close},
 * {@link Reset}, {@link WindowUpdate}, {@link Ping}, {@link GoAway}): they are rare next to {@code DATA}, so the generic
 * Thrift code is fast enough. This class maps them to and from the {@link Frame} union.
 */
public final class MuxFrames {
    /** Default largest frame (the length field's value): room for a 64 KiB client frame inside an {@code OPEN}. */
    public static final int DEFAULT_MAX_FRAME_SIZE = 80 * 1024;
    /** Default time a started mux frame may take to arrive in full. */
    public static final long DEFAULT_FRAME_TIMEOUT_MILLIS = 30_000;

    private MuxFrames() {
    }

    /** Largest {@code DATA} payload that fits in a frame of {@code maxFrameSize} bytes. */
    public static int maxDataPayload(int maxFrameSize) {
        return maxFrameSize - DataFrameLayout.MAX_OVERHEAD;
    }

    /** True for the structs of the control frame kinds and for a {@link Frame} union itself. */
    public static boolean isControl(Object msg) {
        return msg instanceof Frame || msg instanceof Hello || msg instanceof Open || msg instanceof Close
                || msg instanceof Reset || msg instanceof WindowUpdate || msg instanceof Ping || msg instanceof GoAway
                || msg instanceof Move || msg instanceof Resumed;
    }

    /** The union holding {@code control}. */
    public static Frame wrap(Object control) {
        if (control instanceof Frame frame) {
            return frame;
        } else if (control instanceof Hello hello) {
            return Frame.hello(hello);
        } else if (control instanceof Open open) {
            return Frame.open(open);
        } else if (control instanceof Close close) {
            return Frame.close(close);
        } else if (control instanceof Reset reset) {
            return Frame.reset(reset);
        } else if (control instanceof WindowUpdate update) {
            return Frame.windowUpdate(update);
        } else if (control instanceof Ping ping) {
            return Frame.ping(ping);
        } else if (control instanceof GoAway goAway) {
            return Frame.goAway(goAway);
        } else if (control instanceof Move move) {
            return Frame.move(move);
        } else if (control instanceof Resumed resumed) {
            return Frame.resumed(resumed);
        }
        throw new IllegalArgumentException("not a mux control frame: " + control);
    }
}
