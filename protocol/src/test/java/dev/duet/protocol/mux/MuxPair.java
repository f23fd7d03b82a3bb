package dev.duet.protocol.mux;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.embedded.EmbeddedChannel;

/**
 * A presenter-side and a chat-server-side mux connection joined back to back through the real frame codecs: what one
 * writes, {@link #pump()} feeds to the other as bytes.
 */
final class MuxPair {
    final EmbeddedChannel opener;
    final EmbeddedChannel acceptor;
    final MuxHandler openerMux;
    final MuxHandler acceptorMux;

    MuxPair(MuxSettings openerSettings, MuxSettings acceptorSettings, ChannelHandler acceptedStreamInitializer) {
        openerMux = new MuxHandler(MuxHandler.Role.OPENER, openerSettings, null);
        acceptorMux = new MuxHandler(MuxHandler.Role.ACCEPTOR, acceptorSettings, acceptedStreamInitializer);
        // Ids of their own (an embedded channel's default id is one shared by all), so streams name their connection.
        opener = new EmbeddedChannel(DefaultChannelId.newInstance(), new MuxFrameDecoder(), new MuxFrameEncoder(),
                openerMux);
        acceptor = new EmbeddedChannel(DefaultChannelId.newInstance(), new MuxFrameDecoder(), new MuxFrameEncoder(),
                acceptorMux);
        pump();
    }

    MuxPair(ChannelHandler acceptedStreamInitializer) {
        this(MuxSettings.defaults("presenter-1"), MuxSettings.defaults("chat-1"), acceptedStreamInitializer);
    }

    /** Moves bytes both ways until neither side has anything more to say. */
    void pump() {
        boolean moved;
        do {
            moved = move(opener, acceptor) | move(acceptor, opener);
        } while (moved);
    }

    private static boolean move(EmbeddedChannel from, EmbeddedChannel to) {
        from.runPendingTasks();
        boolean moved = false;
        for (ByteBuf buf; (buf = from.readOutbound()) != null; ) {
            moved = true;
            if (to.isOpen()) {
                to.writeInbound(buf);
            } else {
                buf.release();
            }
        }
        to.runPendingTasks();
        return moved;
    }

    void close() {
        opener.finishAndReleaseAll();
        acceptor.finishAndReleaseAll();
    }
}
