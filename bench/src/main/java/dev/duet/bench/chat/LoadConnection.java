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

import java.util.concurrent.CompletableFuture;

/**
 * One benchmark client in a closed loop: authenticate, then send a message, wait for its ack, send the next, recording
 * each ack's latency, until told to stop.
 */
final class LoadConnection extends SimpleChannelInboundHandler<ThriftMessage> {
    private final String token;
    private final String body;
    private final Recorder latencies;
    private final CompletableFuture<Void> authenticated = new CompletableFuture<>();
    private volatile boolean running;
    private long sentAt;
    private long acked;
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

    void start(Channel channel) {
        running = true;
        channel.eventLoop().execute(() -> sendNext(channel));
    }

    void stop() {
        running = false;
    }

    long acked() {
        return acked;
    }

    private void sendNext(Channel channel) {
        sentAt = System.nanoTime();
        channel.writeAndFlush(ThriftMessage.call("sendMessage", ++seqId,
                new ChatService.sendMessage_args(channel.id().asShortText() + "-" + seqId, body)));
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
        if (result.isSetSuccess()) {
            latencies.recordValue((System.nanoTime() - sentAt) / 1000);
            acked++;
        }
        if (running) {
            sendNext(ctx.channel());
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        authenticated.completeExceptionally(cause);
        ctx.close();
    }
}
