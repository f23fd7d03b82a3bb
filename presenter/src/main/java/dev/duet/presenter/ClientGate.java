package dev.duet.presenter;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * First handler of every TCP client connection, before TLS: admits it only within the {@link ClientLimits}. A
 * handshake is charged when its first bytes (the ClientHello) arrive, not at accept: a connection that is opened and
 * reset costs no handshake and takes none from anyone. A refused connection is closed at once and counted. Once the
 * handshake is charged the gate leaves the connection's pipeline; the connection's close gives its count back.
 */
@ChannelHandler.Sharable
final class ClientGate extends ChannelInboundHandlerAdapter {
    private final ClientLimits limits;
    private final PresenterMetrics metrics;

    /** One listener for every connection's close: nothing allocated per connection for it. */
    private final ChannelFutureListener release;

    ClientGate(ClientLimits limits, PresenterMetrics metrics) {
        this.limits = limits;
        this.metrics = metrics;
        // The channel keeps its remote address once asked (in channelActive), also after it closed.
        this.release = closed -> limits.closed(((InetSocketAddress) closed.channel().remoteAddress()).getAddress());
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        String refused = limits.opened(address(ctx));
        ctx.channel().closeFuture().addListener(release);
        if (refused != null) {
            refuse(ctx, refused);
        } else {
            ctx.fireChannelActive();
        }
    }

    private static InetAddress address(ChannelHandlerContext ctx) {
        return ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress();
    }

    /**
     * The first bytes of a connection are its ClientHello: the handshake is charged now, and the gate, done with the
     * connection, leaves its pipeline.
     */
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        String refused = limits.handshake(address(ctx));
        if (refused != null) {
            ReferenceCountUtil.release(msg);
            refuse(ctx, refused);
            return;
        }
        ctx.pipeline().remove(this);
        ctx.fireChannelRead(msg);
    }

    private void refuse(ChannelHandlerContext ctx, String limit) {
        metrics.limitHit(limit);
        ctx.close();
    }
}
