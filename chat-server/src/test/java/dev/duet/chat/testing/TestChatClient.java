package dev.duet.chat.testing;

import dev.duet.protocol.client.ClientFrameDecoder;
import dev.duet.protocol.client.ClientFrameEncoder;
import dev.duet.protocol.client.MessageCatalog;
import dev.duet.protocol.client.ThriftMessage;
import dev.duet.protocol.client.ThriftMessageCodec;
import dev.duet.protocol.transport.NettyTransport;
import dev.duet.thrift.chat.AuthRequest;
import dev.duet.thrift.chat.AuthResponse;
import dev.duet.thrift.chat.ChatError;
import dev.duet.thrift.chat.ChatService;
import dev.duet.thrift.chat.History;
import dev.duet.thrift.chat.SendResult;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.ssl.SslContext;
import org.apache.thrift.TBase;
import org.apache.thrift.TFieldIdEnum;
import org.apache.thrift.protocol.TMessageType;

import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A bare client-protocol client for tests: the protocol's codecs and a table of pending calls, over any channel —
 * a TCP connection to a chat server's direct listener, or a mux stream.
 */
public final class TestChatClient implements AutoCloseable {
    private static final long TIMEOUT_SECONDS = 30;

    private final Map<Integer, CompletableFuture<ThriftMessage>> pending = new ConcurrentHashMap<>();
    private final BlockingQueue<ThriftMessage> pushes = new LinkedBlockingQueue<>();
    private final AtomicInteger seqIds = new AtomicInteger(100);
    private volatile Channel channel;

    /** Connects to a direct client listener. */
    public static TestChatClient connect(EventLoopGroup group, int port) throws InterruptedException {
        return connect(group, port, null);
    }

    /** Connects over TLS when {@code tls} is given (a presenter), in plain TCP otherwise. */
    public static TestChatClient connect(EventLoopGroup group, int port, SslContext tls) throws InterruptedException {
        return connect(group, port, tls, port);
    }

    /**
     * Connects over TLS, telling the TLS client the peer is {@code localhost:peerPort}: the client's session cache is
     * keyed by that, so two servers given the same one are offered the same session.
     */
    public static TestChatClient connect(EventLoopGroup group, int port, SslContext tls, int peerPort)
            throws InterruptedException {
        TestChatClient client = new TestChatClient();
        client.channel = new Bootstrap().group(group).channel(NettyTransport.best().clientChannel())
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (tls != null) {
                            ch.pipeline().addLast(tls.newHandler(ch.alloc(), "localhost", peerPort));
                        }
                        client.install(ch);
                    }
                })
                .connect("127.0.0.1", port).sync().channel();
        return client;
    }

    public ChannelInitializer<Channel> initializer() {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                install(ch);
            }
        };
    }

    /** Puts the client protocol handlers on {@code ch} and makes it this client's channel. */
    public void install(Channel ch) {
        channel = ch;
        ch.pipeline().addLast(new ClientFrameDecoder(), new ClientFrameEncoder(),
                new ThriftMessageCodec(MessageCatalog.client()), new Receiver());
    }

    /** The bytes of a whole client frame holding {@code authenticate}, as a presenter puts it into {@code OPEN}. */
    public static byte[] authenticateFrame(int seqId, String token, long lastSeenSeq) throws Exception {
        ByteBuf body = Unpooled.buffer();
        ThriftMessageCodec.encode(ThriftMessage.call("authenticate", seqId,
                new ChatService.authenticate_args(new AuthRequest(token, lastSeenSeq))), body);
        byte[] frame = new byte[5 + body.readableBytes()];
        Unpooled.wrappedBuffer(frame).writerIndex(0).writeInt(1 + body.readableBytes()).writeByte(0)
                .writeBytes(body);
        body.release();
        return frame;
    }

    private final class Receiver extends SimpleChannelInboundHandler<ThriftMessage> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ThriftMessage message) {
            if (message.type() == TMessageType.ONEWAY) {
                pushes.add(message);
                return;
            }
            CompletableFuture<ThriftMessage> call = pending.remove(message.seqId());
            if (call != null) {
                call.complete(message);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            pending.values().forEach(call -> call.completeExceptionally(new IllegalStateException("closed")));
        }
    }

    public Channel channel() {
        return channel;
    }

    /** Sends a call and returns its reply message (REPLY or EXCEPTION). */
    public ThriftMessage call(String method, TBase<?, ?> args) throws Exception {
        return callAsync(method, seqIds.incrementAndGet(), args).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    public CompletableFuture<ThriftMessage> callAsync(String method, int seqId, TBase<?, ?> args) {
        CompletableFuture<ThriftMessage> reply = new CompletableFuture<>();
        pending.put(seqId, reply);
        channel.writeAndFlush(ThriftMessage.call(method, seqId, args));
        return reply;
    }

    /** Waits for the reply to a call whose frame went out some other way (the first frame inside {@code OPEN}). */
    public CompletableFuture<ThriftMessage> expectReply(int seqId) {
        return pending.computeIfAbsent(seqId, id -> new CompletableFuture<>());
    }

    /** The success value of a reply, or its {@link ChatError} thrown. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static <T> T success(ThriftMessage reply) throws ChatError {
        TBase result = (TBase) reply.body();
        TFieldIdEnum errorField = result.fieldForId(1);
        if (errorField != null && result.isSet(errorField)) {
            throw (ChatError) result.getFieldValue(errorField);
        }
        TFieldIdEnum successField = result.fieldForId(0);
        return successField == null ? null : (T) result.getFieldValue(successField);
    }

    public AuthResponse authenticate(String token, long lastSeenSeq) throws Exception {
        return success(call("authenticate", new ChatService.authenticate_args(new AuthRequest(token, lastSeenSeq))));
    }

    public SendResult send(String clientMsgId, String body) throws Exception {
        return success(call("sendMessage", new ChatService.sendMessage_args(clientMsgId, body)));
    }

    public History history(long beforeSeq, int limit) throws Exception {
        return success(call("fetchHistory", new ChatService.fetchHistory_args(beforeSeq, limit)));
    }

    /** The next push, or null after {@code seconds}. */
    public ThriftMessage nextPush(long seconds) throws InterruptedException {
        return pushes.poll(seconds, TimeUnit.SECONDS);
    }

    public BlockingQueue<ThriftMessage> pushes() {
        return pushes;
    }

    public boolean awaitClosed(long seconds) throws InterruptedException {
        return channel.closeFuture().await(seconds, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
    }
}
