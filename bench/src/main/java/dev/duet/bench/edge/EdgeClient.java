package dev.duet.bench.edge;

import dev.duet.protocol.client.ClientFrameDecoder;
import dev.duet.protocol.client.ClientFrameEncoder;
import dev.duet.protocol.client.MessageCatalog;
import dev.duet.protocol.client.ThriftMessage;
import dev.duet.protocol.client.ThriftMessageCodec;
import dev.duet.thrift.chat.AuthRequest;
import dev.duet.thrift.chat.ChatService;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import org.HdrHistogram.Recorder;
import org.apache.thrift.protocol.TMessageType;

import java.util.concurrent.CompletableFuture;

/** One load-generator connection: authenticates, then optionally pings in a closed loop, recording round trips. */
final class EdgeClient extends SimpleChannelInboundHandler<ThriftMessage> {
    private final String token;
    private final Recorder roundTrips;
    private final CompletableFuture<Void> authenticated = new CompletableFuture<>();
    private volatile boolean pinging;
    private long sentAt;
    private long completed;

    EdgeClient(String token, Recorder roundTrips) {
        this.token = token;
        this.roundTrips = roundTrips;
    }

    void install(Channel channel) {
        channel.pipeline().addLast(new ClientFrameDecoder(), new ClientFrameEncoder(),
                new ThriftMessageCodec(MessageCatalog.client()), this);
    }

    CompletableFuture<Void> authenticated() {
        return authenticated;
    }

    long completed() {
        return completed;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SslHandshakeCompletionEvent handshake) {
            if (handshake.isSuccess()) {
                authenticate(ctx.channel());
            } else {
                authenticated.completeExceptionally(handshake.cause());
            }
        }
        ctx.fireUserEventTriggered(evt);
    }

    /** Sends the authenticate call: on a TLS connection once its handshake is done, on a QUIC stream at once. */
    void authenticate(Channel channel) {
        channel.writeAndFlush(ThriftMessage.call("authenticate", 1,
                new ChatService.authenticate_args(new AuthRequest(token, Long.MAX_VALUE))));
    }

    void startPinging(Channel channel) {
        pinging = true;
        channel.eventLoop().execute(() -> ping(channel));
    }

    void stopPinging() {
        pinging = false;
    }

    private void ping(Channel channel) {
        sentAt = System.nanoTime();
        channel.writeAndFlush(ThriftMessage.call("ping", 2, new ChatService.ping_args(sentAt)));
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, ThriftMessage message) {
        if (message.type() == TMessageType.ONEWAY) {
            return;
        }
        if (message.name().equals("authenticate")) {
            authenticated.complete(null);
            return;
        }
        roundTrips.recordValue((System.nanoTime() - sentAt) / 1000);
        completed++;
        if (pinging) {
            ping(ctx.channel());
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        authenticated.completeExceptionally(new IllegalStateException("connection closed"));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        authenticated.completeExceptionally(cause);
        ctx.close();
    }
}
