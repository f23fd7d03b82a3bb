package dev.duet.presenter;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import org.slf4j.LoggerFactory;

import dev.duet.protocol.logging.RateLimitedLog;
import dev.duet.protocol.mux.StreamChannel;

import java.io.IOException;

/**
 * The client side of one relayed client, installed once the route is settled and every protocol handler is gone:
 * the client's decrypted bytes go to its stream unparsed and uncopied (the stream slices them into DATA frames).
 * When the stream's window or the mux connection is full, the client stops being read; the client leaving closes
 * the stream, and an idle client is closed. A client failing is logged through a {@link RateLimitedLog}, since all of
 * them may fail at once.
 */
final class ClientRelay extends ChannelInboundHandlerAdapter {
    private static final RateLimitedLog log = new RateLimitedLog(LoggerFactory.getLogger(ClientRelay.class));

    private final StreamChannel stream;
    private final StreamRelay streamSide;
    private final PresenterMetrics metrics;

    ClientRelay(StreamChannel stream, StreamRelay streamSide, PresenterMetrics metrics) {
        this.stream = stream;
        this.streamSide = streamSide;
        this.metrics = metrics;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf buf = (ByteBuf) msg;
        metrics.fromClient(buf.readableBytes());
        stream.write(buf, stream.voidPromise());
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
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
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            metrics.limitHit("idle_timeout");
            ctx.close();
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
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
