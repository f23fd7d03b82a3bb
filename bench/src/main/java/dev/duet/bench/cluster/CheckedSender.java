package dev.duet.bench.cluster;

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
import org.apache.thrift.protocol.TMessageType;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One couple's sender that keeps what it was promised: it sends messages {@code m1, m2, …} one at a time, retries a
 * refused send with the same client message id until it is acknowledged, and records every ack (id → seq) and the
 * longest time it went without one, so that a run can be checked against what the store holds afterwards.
 */
final class CheckedSender extends SimpleChannelInboundHandler<ThriftMessage> {
    private static final long RETRY_MILLIS = 100;

    private final String token;
    private final CompletableFuture<Void> authenticated = new CompletableFuture<>();
    private final Map<String, Long> acked = new HashMap<>();
    private volatile boolean running;
    private volatile boolean disconnected;
    private int seqId;
    private int next = 1;
    private volatile long lastAckNanos;
    private long longestGapNanos;
    private long gapEndedAtNanos;

    CheckedSender(String token) {
        this.token = token;
    }

    void install(Channel channel) {
        channel.pipeline().addLast(new ClientFrameDecoder(), new ClientFrameEncoder(),
                new ThriftMessageCodec(MessageCatalog.client()), this);
    }

    CompletableFuture<Void> authenticated() {
        return authenticated;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.writeAndFlush(ThriftMessage.call("authenticate", ++seqId,
                new ChatService.authenticate_args(new AuthRequest(token, Long.MAX_VALUE))));
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        disconnected = true;
        ctx.fireChannelInactive();
    }

    void start(Channel channel) {
        running = true;
        channel.eventLoop().execute(() -> {
            lastAckNanos = System.nanoTime();
            send(channel);
        });
    }

    /** Stops after the send in flight is answered; completes on the channel's loop once nothing more will go out. */
    CompletableFuture<Void> stop(Channel channel) {
        CompletableFuture<Void> stopped = new CompletableFuture<>();
        channel.eventLoop().execute(() -> {
            running = false;
            stopped.complete(null);
        });
        return stopped;
    }

    /** Fixed width, so ids increase byte-wise as the SDK's do. */
    private static String id(long n) {
        return String.format(Locale.ROOT, "m%012d", n);
    }

    private void send(Channel channel) {
        channel.writeAndFlush(ThriftMessage.call("sendMessage", ++seqId,
                new ChatService.sendMessage_args(id(next), "message " + next)));
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
        if (!(message.body() instanceof ChatService.sendMessage_result result) || !result.isSetSuccess()) {
            if (running) {
                ctx.channel().eventLoop().schedule(() -> {
                    if (running) {
                        send(ctx.channel());
                    }
                }, RETRY_MILLIS, TimeUnit.MILLISECONDS);
            }
            return;
        }
        long now = System.nanoTime();
        acked.put(id(next), result.getSuccess().getSeq());
        next++;
        if (now - lastAckNanos > longestGapNanos) {
            longestGapNanos = now - lastAckNanos;
            gapEndedAtNanos = now;
        }
        lastAckNanos = now;
        if (running) {
            send(ctx.channel());
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        authenticated.completeExceptionally(cause);
        ctx.close();
    }

    /** Acknowledged client message ids and their seqs; read once stopped. */
    Map<String, Long> acked() {
        return acked;
    }

    int ackedCount() {
        return next - 1;
    }

    long lastAckNanos() {
        return lastAckNanos;
    }

    long longestGapNanos() {
        return longestGapNanos;
    }

    long gapEndedAtNanos() {
        return gapEndedAtNanos;
    }

    boolean disconnected() {
        return disconnected;
    }
}
