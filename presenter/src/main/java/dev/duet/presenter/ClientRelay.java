package dev.duet.presenter;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.slf4j.LoggerFactory;

import dev.duet.protocol.logging.RateLimitedLog;
import dev.duet.protocol.mux.StreamChannel;

import java.io.IOException;
import java.util.ArrayDeque;

/**
 * The client side of one relayed client, installed once the route is settled and every protocol handler is gone:
 * the client's decrypted bytes go to its stream unparsed and uncopied (the stream slices them into DATA frames).
 * When the stream's window or the mux connection is full, the client stops being read; the client leaving closes
 * the stream, and an idle client is closed ({@link IdleClients}). A client failing is logged through a
 * {@link RateLimitedLog}, since all of them may fail at once.
 *
 * <p>During a handover the client is {@linkplain #pause() paused}: what it already sent and this side had read is
 * held, in order, until the session is {@linkplain #switchTo resumed} on its new stream, where it follows the bytes the
 * old owner did not consume.
 */
final class ClientRelay extends ChannelInboundHandlerAdapter {
    private static final RateLimitedLog log = new RateLimitedLog(LoggerFactory.getLogger(ClientRelay.class));

    private final PresenterMetrics metrics;
    private StreamChannel stream;
    private StreamRelay streamSide;
    /** While a handover is under way: the client's bytes read since the pause; null otherwise. */
    private ArrayDeque<ByteBuf> held;
    /** When bytes last went either way, for {@link IdleClients}: set once per read batch, by either side. */
    private volatile long lastActivityNanos = System.nanoTime();
    /** Set by the {@link IdleClients} sweep (its thread alone) once it closed this client. */
    private boolean closedForIdle;

    private ChannelHandlerContext ctx;

    ClientRelay(StreamChannel stream, StreamRelay streamSide, PresenterMetrics metrics) {
        this.stream = stream;
        this.streamSide = streamSide;
        this.metrics = metrics;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf buf = (ByteBuf) msg;
        metrics.fromClient(buf.readableBytes());
        if (held != null) {
            held.add(buf);
            return;
        }
        stream.write(buf, stream.voidPromise());
    }

    /** Bytes went to or came from the client just now. */
    void active() {
        lastActivityNanos = System.nanoTime();
    }

    /** Closes the client if nothing went either way for {@code timeoutNanos}; true if it did, once per client. */
    boolean closeIfIdle(long nowNanos, long timeoutNanos) {
        if (closedForIdle || nowNanos - lastActivityNanos < timeoutNanos) {
            return false;
        }
        closedForIdle = true;
        client().close();
        return true;
    }

    /** The chat server asked for a handover: stop reading the client, hold what was read, close the stream's output. */
    void pause() {
        if (held == null) {
            held = new ArrayDeque<>(2);
            stream.closeOutput();
        }
        client().config().setAutoRead(false);
    }

    /**
     * The session carries on at {@code next}: the old owner's {@code unread} bytes go first, then what was held, then
     * the client is read again.
     */
    void switchTo(StreamChannel next, StreamRelay nextSide, ByteBuf unread) {
        stream = next;
        streamSide = nextSide;
        if (unread.isReadable()) {
            stream.write(unread, stream.voidPromise());
        } else {
            unread.release();
        }
        for (ByteBuf buf; (buf = held.poll()) != null; ) {
            stream.write(buf, stream.voidPromise());
        }
        held = null;
        stream.flush();
        client().config().setAutoRead(true);
    }

    /** The handover failed: what was held will never be sent. */
    void abandon() {
        releaseHeld();
    }

    private void releaseHeld() {
        if (held != null) {
            for (ByteBuf buf; (buf = held.poll()) != null; ) {
                buf.release();
            }
        }
    }

    private Channel client() {
        return ctx.channel();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        active();
        if (held != null) {
            ctx.fireChannelReadComplete();
            return;
        }
        stream.flush();
        if (!stream.isWritable()) {
            ctx.channel().config().setAutoRead(false);
            // As in StreamRelay: look again after pausing, so a wake-up from the stream's loop cannot be lost.
            if (stream.isWritable()) {
                ctx.channel().config().setAutoRead(true);
            }
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            streamSide.clientWritable(stream);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseHeld();
        stream.close();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!(cause instanceof IOException)) {
            log.info("client_error", "closing client {}: {}", ctx.channel().remoteAddress(), cause.toString());
        }
        ctx.close();
    }
}
