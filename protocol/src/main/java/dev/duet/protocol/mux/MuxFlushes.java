package dev.duet.protocol.mux;

import io.netty.channel.ChannelHandler;
import io.netty.handler.flush.FlushConsolidationHandler;

/**
 * Every stream flushes the connection it rides on when it wrote: on a busy connection that is a socket write per
 * relayed message. The handler this makes, placed above the connection's TLS (if any) and below the frame codec, turns
 * the flushes of one event-loop pass into one (at most {@link #MAX_FLUSHES_HELD} held): what a read brings flushes
 * when the read completes, and flushes from outside a read at the end of the loop's current tasks. Fewer, larger
 * socket writes and TLS records, for a delay no longer than the loop's pass.
 */
public final class MuxFlushes {
    /** Flushes held back at most before one goes through regardless. */
    public static final int MAX_FLUSHES_HELD = FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES;

    private MuxFlushes() {
    }

    /** A new consolidating handler for one mux connection. */
    public static ChannelHandler newConsolidation() {
        return new FlushConsolidationHandler(MAX_FLUSHES_HELD, true);
    }
}
