package dev.duet.client;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

import java.io.IOException;
import java.net.InetSocketAddress;

/** TLS over TCP (or plain TCP to a chat server's direct listener, when {@code tls} is null). */
final class TcpConnector implements Connector {
    private final EventLoopGroup group;
    private final SslContext tls;

    TcpConnector(EventLoopGroup group, SslContext tls) {
        this.group = group;
        this.tls = tls;
    }

    @Override
    public Future<Channel> open(InetSocketAddress target) {
        Promise<Channel> ready = group.next().newPromise();
        ChannelFuture connecting = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (tls != null) {
                            ch.pipeline().addLast(tls.newHandler(ch.alloc(), target.getHostString(), target.getPort()));
                        }
                        ch.pipeline().addLast(new ReadyWhenSecure(ready));
                    }
                }).connect(target);
        connecting.addListener(connected -> {
            if (!connected.isSuccess()) {
                ready.tryFailure(connected.cause());
            }
        });
        // Given up on by the caller (cancelled): nothing of the attempt stays open.
        ready.addListener(done -> {
            if (done.isCancelled()) {
                connecting.channel().close();
            }
        });
        return ready;
    }

    /** Completes the promise once the connection can carry the protocol, then leaves the pipeline. */
    private final class ReadyWhenSecure extends ChannelInboundHandlerAdapter {
        private final Promise<Channel> ready;

        ReadyWhenSecure(Promise<Channel> ready) {
            this.ready = ready;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            if (tls == null) {
                done(ctx);
            }
            ctx.fireChannelActive();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof SslHandshakeCompletionEvent handshake) {
                if (handshake.isSuccess()) {
                    done(ctx);
                } else {
                    ready.tryFailure(handshake.cause());
                    ctx.close();
                }
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            ready.tryFailure(new IOException("connection closed before it was ready"));
            ctx.fireChannelInactive();
        }

        private void done(ChannelHandlerContext ctx) {
            ctx.pipeline().remove(this);
            if (!ready.trySuccess(ctx.channel())) {
                ctx.close();
            }
        }
    }
}
