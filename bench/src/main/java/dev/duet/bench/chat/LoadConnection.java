package dev.duet.bench.chat;

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
import org.HdrHistogram.Recorder;
import org.apache.thrift.protocol.TMessageType;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One benchmark client: authenticate, then send until told to stop, recording each ack's latency. In a closed loop it
 * sends a message, waits for its ack and sends the next. In an open loop it sends one message every period whether or
 * not earlier ones were acknowledged, and measures each ack from the time its message was meant to be sent, so a
 * stall counts for every message it held back (no coordinated omission).
 */
final class LoadConnection extends SimpleChannelInboundHandler<ThriftMessage> {
    private final String token;
    private final String body;
    private final Recorder latencies;
    private final CompletableFuture<Void> authenticated = new CompletableFuture<>();
    private final Map<Integer, Long> intendedAt = new HashMap<>();
    private volatile boolean running;
    private ScheduledFuture<?> schedule;
    private volatile long acked;
    private int seqId;

    LoadConnection(String token, String body, Recorder latencies) {
        this.token = token;
        this.body = body;
        this.latencies = latencies;
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

    void startClosedLoop(Channel channel) {
        running = true;
        channel.eventLoop().execute(() -> send(channel, System.nanoTime()));
    }

    /** Sends at {@code firstNanos} (a {@link System#nanoTime()}) and every {@code periodNanos} after it. */
    void startOpenLoop(Channel channel, long firstNanos, long periodNanos) {
        channel.eventLoop().execute(() -> {
            long[] sent = {0};
            schedule = channel.eventLoop().scheduleAtFixedRate(
                    () -> send(channel, firstNanos + sent[0]++ * periodNanos),
                    firstNanos - System.nanoTime(), periodNanos, TimeUnit.NANOSECONDS);
        });
    }

    void stop(Channel channel) {
        running = false;
        channel.eventLoop().execute(() -> {
            if (schedule != null) {
                schedule.cancel(false);
            }
        });
    }

    long acked() {
        return acked;
    }

    private void send(Channel channel, long intended) {
        intendedAt.put(++seqId, intended);
        channel.writeAndFlush(ThriftMessage.call("sendMessage", seqId,
                new ChatService.sendMessage_args(channel.id().asShortText() + String.format(Locale.ROOT, "-%012d", seqId),
                        body)));
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
        ChatService.sendMessage_result result = (ChatService.sendMessage_result) message.body();
        Long intended = intendedAt.remove(message.seqId());
        if (result.isSetSuccess() && intended != null) {
            latencies.recordValue((System.nanoTime() - intended) / 1000);
            acked++;
        }
        if (running) {
            send(ctx.channel(), System.nanoTime());
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        authenticated.completeExceptionally(cause);
        ctx.close();
    }
}
