package dev.duet.chat.testing;

import dev.duet.protocol.mux.MuxFrameDecoder;
import dev.duet.protocol.mux.MuxFrameEncoder;
import dev.duet.protocol.mux.MuxHandler;
import dev.duet.protocol.mux.MuxSettings;
import dev.duet.protocol.tls.MuxTls;
import dev.duet.protocol.mux.StreamChannel;
import dev.duet.protocol.mux.StreamEvent;
import dev.duet.protocol.mux.StreamResetEvent;
import dev.duet.protocol.transport.NettyTransport;
import dev.duet.thrift.mux.Open;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** A presenter's side of one mux connection, for tests: opens streams carrying a test client each. */
public final class MuxTestConnection implements AutoCloseable {
    private final Channel channel;
    private final MuxHandler mux;

    private MuxTestConnection(Channel channel, MuxHandler mux) {
        this.channel = channel;
        this.mux = mux;
    }

    public static MuxTestConnection connect(EventLoopGroup group, int port) throws Exception {
        return connect(group, port, (MuxTls) null);
    }

    /** Over mutual TLS when {@code tls} is given (a presenter's side), in plain TCP otherwise. */
    public static MuxTestConnection connect(EventLoopGroup group, int port, MuxTls tls) throws Exception {
        return connect(group, port, tls, "127.0.0.1");
    }

    /** Over mutual TLS, expecting the chat server's certificate to name {@code host}. */
    public static MuxTestConnection connect(EventLoopGroup group, int port, MuxTls tls, String host)
            throws Exception {
        return connect(group, port, tls, host, MuxSettings.defaults("test-presenter"));
    }

    /** In plain TCP, announcing {@code settings} in this side's {@code HELLO}. */
    public static MuxTestConnection connect(EventLoopGroup group, int port, MuxSettings settings) throws Exception {
        return connect(group, port, null, "127.0.0.1", settings);
    }

    private static MuxTestConnection connect(EventLoopGroup group, int port, MuxTls tls, String host,
                                             MuxSettings settings) throws Exception {
        MuxHandler mux = new MuxHandler(MuxHandler.Role.OPENER, settings, null);
        Channel channel = new Bootstrap().group(group).channel(NettyTransport.best().clientChannel())
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (tls != null) {
                            tls.install(ch, host, port);
                        }
                        ch.pipeline().addLast(new MuxFrameDecoder(), new MuxFrameEncoder(), mux);
                    }
                })
                .connect("127.0.0.1", port).sync().channel();
        mux.ready().get(10, TimeUnit.SECONDS);
        return new MuxTestConnection(channel, mux);
    }

    /** A stream for {@code user} of {@code couple} whose first frame authenticates with {@code token}. */
    public OpenedStream open(String user, String couple, String partner, String token, long lastSeenSeq)
            throws Exception {
        TestChatClient client = new TestChatClient();
        CompletableFuture<StreamResetEvent> reset = new CompletableFuture<>();
        CompletableFuture<Void> moveRequested = new CompletableFuture<>();
        int seqId = 1;
        Open open = new Open(0, 0, user, couple, partner, "127.0.0.1:40000",
                ByteBuffer.wrap(TestChatClient.authenticateFrame(seqId, token, lastSeenSeq)));
        CompletableFuture<StreamChannel> stream = new CompletableFuture<>();
        var authReply = client.expectReply(seqId);
        channel.eventLoop().execute(() -> mux.openStream(open, new ChannelInitializer<StreamChannel>() {
            @Override
            protected void initChannel(StreamChannel ch) {
                client.install(ch);
                ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                        if (evt instanceof StreamResetEvent event) {
                            reset.complete(event);
                        } else if (evt == StreamEvent.MOVE_REQUESTED) {
                            moveRequested.complete(null);
                        }
                        ctx.fireUserEventTriggered(evt);
                    }
                });
            }
        }).addListener(f -> {
            if (f.isSuccess()) {
                stream.complete((StreamChannel) f.getNow());
            } else {
                stream.completeExceptionally(f.cause());
            }
        }));
        return new OpenedStream(stream.get(10, TimeUnit.SECONDS), client, authReply, reset, moveRequested);
    }

    public int streamCount() throws Exception {
        return channel.eventLoop().submit(mux::streamCount).get(5, TimeUnit.SECONDS);
    }

    public Channel channel() {
        return channel;
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
    }

    /**
     * {@code moveRequested}: the chat server asked for a handover ({@code MOVE}). This test presenter pauses the client
     * for one only when a test calls {@link StreamChannel#closeOutput()}; otherwise the session ends as without a
     * handover.
     */
    public record OpenedStream(StreamChannel stream, TestChatClient client,
                               CompletableFuture<dev.duet.protocol.client.ThriftMessage> authReply,
                               CompletableFuture<StreamResetEvent> reset, CompletableFuture<Void> moveRequested) {
    }
}
