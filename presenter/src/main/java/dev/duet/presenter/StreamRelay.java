package dev.duet.presenter;

import dev.duet.protocol.mux.StreamChannel;
import dev.duet.protocol.mux.StreamEvent;
import dev.duet.protocol.mux.StreamHandoverEvent;
import dev.duet.protocol.mux.StreamResetEvent;
import dev.duet.thrift.mux.ResetCode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

import java.util.concurrent.TimeUnit;

/**
 * The chat-server side of one relayed client: the only handler of the client's {@link StreamChannel}. Bytes from the
 * chat server go to the client as they are (no copy). When the client cannot take more, this stream stops reading,
 * which withholds its window credit, which stops the chat server: nothing piles up here. Until the chat server's
 * answer (its first bytes, or {@code RESUMED} on a resumed stream) the route is not settled: a reset then goes back to
 * the {@link StreamRoute}, which may try another chat server.
 *
 * <p>A chat server handing the session over asks first ({@code MOVE}): the {@link ClientRelay} pauses the client and
 * closes the stream's output. Its handover arrives after every byte it sent, and a {@link StreamHandover} resumes the
 * session on the new owner; this stream then closes without closing the client.
 */
final class StreamRelay extends ChannelInboundHandlerAdapter {
    private static final long FLUSH_DEADLINE_SECONDS = 5;

    private final Channel client;
    private final Routing routing;
    /** Until the chat server answered; then dropped, so an idle relayed client holds nothing of its routing. */
    private StreamRoute route;
    /** Once the client side is wired up; null until then. */
    private volatile ClientRelay clientSide;
    private boolean answered;
    private boolean handedOver;
    private StreamResetEvent reset;

    StreamRelay(Channel client, StreamRoute route, Routing routing) {
        this.client = client;
        this.route = route;
        this.routing = routing;
    }

    /**
     * The client side is wired up: writability may now steer the client's reading, and what this side relays counts
     * as the client's activity.
     */
    void startRelaying(ClientRelay relay) {
        this.clientSide = relay;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        routing.metrics().streamOpened();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf buf = (ByteBuf) msg;
        answer(ctx);
        routing.metrics().toClient(buf.readableBytes());
        client.write(buf, client.voidPromise());
    }

    private void answer(ChannelHandlerContext ctx) {
        if (!answered) {
            answered = true;
            route.accepted(ctx.channel(), this);
            route = null;
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ClientRelay relayed = clientSide;
        if (relayed != null) {
            relayed.active();
        }
        client.flush();
        if (!client.isWritable()) {
            ctx.channel().config().setAutoRead(false);
            // The client may live on another event loop: it may have drained, and sent its wake-up, between the
            // check and the pause. Looking again after pausing means no wake-up is ever lost.
            if (client.isWritable()) {
                ctx.channel().config().setAutoRead(true);
            }
        }
    }

    /** The client drained its socket buffer: read from the chat server again. */
    void clientWritable(Channel stream) {
        stream.config().setAutoRead(true);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (clientSide != null && ctx.channel().isWritable()) {
            client.config().setAutoRead(true);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof StreamResetEvent event) {
            reset = event;
        } else if (evt == StreamEvent.RESUMED) {
            answer(ctx);
        } else if (evt == StreamEvent.MOVE_REQUESTED) {
            // Queued behind the task that installs the ClientRelay: the answer came before the MOVE.
            client.eventLoop().execute(() -> {
                ClientRelay relay = client.pipeline().get(ClientRelay.class);
                if (relay != null) {
                    relay.pause();
                }
            });
        } else if (evt instanceof StreamHandoverEvent event) {
            handedOver = true;
            String from = ((StreamChannel) ctx.channel()).peerNodeId();
            client.eventLoop().execute(() -> {
                ClientRelay relay = client.pipeline().get(ClientRelay.class);
                if (relay != null && client.isActive()) {
                    new StreamHandover(routing, client, relay, event.handover(), from).start();
                } else {
                    client.close();
                }
            });
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        routing.metrics().streamClosed();
        if (!answered) {
            route.refused(this, reset);
        } else if (!handedOver && !client.eventLoop().isShuttingDown()) {
            closeClient();
        }
    }

    /**
     * The chat server ended the session: a client it ended for not reading (OVERLOAD) is closed now, as what is queued
     * for it would never drain; any other gets what was relayed (a sessionEnding notice, say) for up to
     * {@link #FLUSH_DEADLINE_SECONDS} before the close.
     */
    private void closeClient() {
        if (reset != null && reset.code() == ResetCode.OVERLOAD) {
            client.close();
            return;
        }
        client.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        client.eventLoop().schedule(() -> client.close(), FLUSH_DEADLINE_SECONDS, TimeUnit.SECONDS);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
