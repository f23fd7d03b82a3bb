package dev.duet.presenter;

import dev.duet.protocol.auth.TokenRejectedException;
import dev.duet.protocol.client.MalformedMessageException;
import dev.duet.protocol.client.ThriftMessage;
import dev.duet.protocol.client.ThriftMessageCodec;
import dev.duet.protocol.codec.FrameTimeoutException;
import dev.duet.protocol.logging.RateLimitedLog;
import dev.duet.protocol.mux.StreamChannel;
import dev.duet.protocol.mux.StreamResetEvent;
import dev.duet.ring.HashRing;
import dev.duet.ring.Member;
import dev.duet.thrift.chat.ChatError;
import dev.duet.thrift.chat.ChatService;
import dev.duet.thrift.chat.ErrorCode;
import dev.duet.thrift.chat.TokenClaims;
import dev.duet.thrift.mux.ClientTransport;
import dev.duet.thrift.mux.Open;
import dev.duet.thrift.mux.ResetCode;
import dev.duet.thrift.mux.TlsInfo;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.concurrent.ScheduledFuture;
import org.apache.thrift.TApplicationException;
import org.apache.thrift.TException;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * Routes a client by its first frame: checks the token, finds the couple's owner on the ring, opens a stream to it
 * carrying the first frame, and — once the chat server answered — replaces itself and the {@link FirstFrameDecoder}
 * with a {@link ClientRelay}. Until then the client is not read, so whatever it sent after the first frame waits
 * in the decoder and is relayed first.
 *
 * <p>Routing follows the {@link RoutingView}: a chat server this presenter cannot reach is routed around, and the
 * {@code OPEN} names it, so the next member takes the couple over. A {@code RESET(NOT_OWNER)} before the answer (the
 * chat server's ring view differs from ours) reopens the stream on the owner it names — unless the chat server's view
 * is older than ours — and an {@code OVERLOAD}, or a stream that could not be opened, on the owner we see now, up to
 * {@link PresenterConfig#routeAttempts()} attempts. No answer within {@link PresenterConfig#routeTimeout()} closes the
 * client, and so does any other failure; the client reconnects.
 *
 * <p>Every failure here can happen to every client at once (a chat server or the ring down), so each is counted in
 * a meter and logged through a {@link RateLimitedLog}: one line per kind of failure per 10 s.
 */
final class FirstPacketRouter extends ChannelInboundHandlerAdapter implements StreamRoute {
    private static final RateLimitedLog log = new RateLimitedLog(LoggerFactory.getLogger(FirstPacketRouter.class));

    private final Routing routing;
    private ChannelHandlerContext ctx;
    private ScheduledFuture<?> authTimer;
    private FirstFrame first;
    private long firstFrameNanos;
    private boolean firstFrameEarly;
    private TokenClaims claims;
    private int attempts;
    private ScheduledFuture<?> routeTimer;
    /** The relay of the latest attempt: an answer or a reset on an earlier attempt's stream is not ours any more. */
    private StreamRelay current;

    FirstPacketRouter(Routing routing) {
        this.routing = routing;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        long timeout = routing.config().authTimeout().toMillis();
        authTimer = ctx.executor().schedule(() -> {
            if (first == null) {
                routing.metrics().limitHit("auth_timeout");
                ctx.close();
            }
        }, timeout, TimeUnit.MILLISECONDS);
        ctx.fireChannelActive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SslHandshakeCompletionEvent handshake) {
            if (handshake.isSuccess()) {
                routing.metrics().handshake(resumed());
            } else {
                routing.metrics().handshakeFailed(handshake.cause().getClass().getSimpleName());
                log.debug("handshake_failed", "TLS handshake with {} failed: {}", ctx.channel().remoteAddress(),
                        handshake.cause().toString());
                ctx.close();
            }
        }
        ctx.fireUserEventTriggered(evt);
    }

    private boolean resumed() {
        SSLEngine engine = engine();
        return engine != null && TlsResumption.resumed(engine);
    }

    /** The client's TLS engine: its QUIC connection's, or its TCP connection's TLS handler's. */
    private SSLEngine engine() {
        if (ctx.channel() instanceof QuicStreamChannel stream) {
            return stream.parent().sslEngine();
        }
        SslHandler ssl = ctx.pipeline().get(SslHandler.class);
        return ssl == null ? null : ssl.engine();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (first != null || !(msg instanceof FirstFrame frame)) {
            io.netty.util.ReferenceCountUtil.release(msg);
            return;
        }
        first = frame;
        firstFrameNanos = System.nanoTime();
        // A QUIC connection becomes active once its handshake completed: before, its streams carry 0-RTT data.
        if (ctx.channel() instanceof QuicStreamChannel stream && !stream.parent().isActive()) {
            firstFrameEarly = true;
            routing.metrics().quicEarlyData();
        }
        authTimer.cancel(false);
        ctx.channel().config().setAutoRead(false);
        try {
            claims = routing.verifier().verify(frame.request().getToken());
        } catch (TokenRejectedException e) {
            routing.metrics().authFailed(e.reason().name().toLowerCase());
            log.debug("token_refused", "refusing {}: {}", ctx.channel().remoteAddress(), e.getMessage());
            answerAndClose(ThriftMessage.reply("authenticate", frame.seqId(), new ChatService.authenticate_result()
                    .setError(new ChatError(ErrorCode.AUTH_FAILED, e.publicMessage()))));
            return;
        }
        route(null);
    }

    private void route(String namedOwner) {
        attempts++;
        RoutingView.Snapshot view = routing.view().current();
        HashRing ring = view.routing();
        Member owner = namedOwner != null ? ring.member(namedOwner).orElse(null) : null;
        if (owner == null) {
            owner = ring.ownerOf(claims.getCoupleId());
        }
        if (owner == null) {
            routing.metrics().routed("no_chat_server");
            log.warn("no_chat_server", "no chat server on the ring for {}; closing the client", claims.getCoupleId());
            ctx.close();
            return;
        }
        Open open = new Open(0, view.epoch(), claims.getUserId(), claims.getCoupleId(), claims.getPartnerId(),
                address(ctx.channel()), ByteBuffer.wrap(first.raw()));
        if (!view.unreachable().isEmpty()) {
            open.setUnreachable(view.unreachable());
        }
        SSLEngine engine = engine();
        if (engine != null) {
            SSLSession session = engine.getSession();
            TlsInfo tls = new TlsInfo(session.getProtocol(), session.getCipherSuite(), resumed());
            if (ctx.channel() instanceof QuicStreamChannel) {
                tls.setTransport(ClientTransport.QUIC).setEarlyData(firstFrameEarly);
            }
            open.setTls(tls);
        }
        StreamRelay relay = new StreamRelay(ctx.channel(), this, routing);
        current = relay;
        Member target = owner;
        cancelRouteTimer();
        long timeout = routing.config().routeTimeout().toMillis();
        routeTimer = ctx.executor().schedule(() -> {
            routing.metrics().routed("timeout");
            log.warn("route_timeout:" + target.id(), "{} did not answer a new stream within {} ms; closing the "
                    + "client", target.id(), timeout);
            ctx.close();
        }, timeout, TimeUnit.MILLISECONDS);
        routing.pools().pool(owner).openStream(open, relay, ctx.executor()).addListener(opened -> {
            if (!opened.isSuccess()) {
                routing.metrics().routed("chat_server_unavailable");
                log.info("open_stream:" + target.id(), "cannot open a stream to {}: {}", target.id(),
                        opened.cause().getMessage());
                retryOrClose(null);
            }
        });
    }

    private void retryOrClose(String namedOwner) {
        if (ctx.channel().isActive() && attempts < routing.config().routeAttempts()) {
            route(namedOwner);
        } else {
            cancelRouteTimer();
            ctx.close();
        }
    }

    private void cancelRouteTimer() {
        if (routeTimer != null) {
            routeTimer.cancel(false);
            routeTimer = null;
        }
    }

    private static String address(Channel channel) {
        if (channel instanceof QuicStreamChannel stream) {
            return address(stream.parent().remoteSocketAddress());
        }
        return address(channel.remoteAddress());
    }

    private static String address(SocketAddress remote) {
        return remote instanceof InetSocketAddress socket
                ? socket.getAddress().getHostAddress() + ":" + socket.getPort() : String.valueOf(remote);
    }

    /** The chat server answered on {@code stream}: from now on, relay everything unparsed. */
    @Override
    public void accepted(Channel stream, StreamRelay relay) {
        ctx.executor().execute(() -> {
            if (relay != current || !ctx.channel().isActive()) {
                stream.close();
                return;
            }
            cancelRouteTimer();
            routing.metrics().relaying();
            routing.metrics().routeSettled(System.nanoTime() - firstFrameNanos);
            ClientRelay clientSide = new ClientRelay((StreamChannel) stream, relay, routing.metrics());
            ctx.pipeline().addAfter(ctx.name(), "relay", clientSide);
            relay.startRelaying(clientSide);
            ctx.pipeline().remove(this);
            ctx.pipeline().remove(FirstFrameDecoder.class);
            ctx.channel().config().setAutoRead(true);
        });
    }

    /** The stream of {@code relay} ended before the chat server answered. */
    @Override
    public void refused(StreamRelay relay, StreamResetEvent reset) {
        ctx.executor().execute(() -> {
            if (relay != current || !ctx.channel().isActive()) {
                return;
            }
            routing.metrics().routed(reset == null ? "closed" : reset.code().name().toLowerCase());
            if (reset == null || !reset.isRetryable()) {
                cancelRouteTimer();
                ctx.close();
                return;
            }
            // A chat server with an older ring view than ours names an owner we know to be out of date.
            boolean follow = reset.code() == ResetCode.NOT_OWNER && reset.ringEpoch() >= routing.ring().epoch();
            retryOrClose(follow ? reset.owner() : null);
        });
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (authTimer != null) {
            authTimer.cancel(false);
        }
        cancelRouteTimer();
        ctx.fireChannelInactive();
    }

    /**
     * A first frame that could not be read is answered as the protocol says — {@code EXCEPTION(PROTOCOL_ERROR)}, under
     * its seqid when that decoded — before the connection closes.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!(cause instanceof DecoderException) || first != null) {
            if (!(cause instanceof IOException)) {
                log.debug("client_error", "closing {}: {}", ctx.channel().remoteAddress(), cause.toString());
            }
            ctx.close();
            return;
        }
        String reason = reasonOf(cause);
        if (cause instanceof TooLongFrameException || cause instanceof FrameTimeoutException) {
            routing.metrics().limitHit(reason);
        } else {
            routing.metrics().authFailed(reason);
        }
        log.info("bad_first_frame:" + reason, "closing {}: unreadable first frame ({})",
                ctx.channel().remoteAddress(), reason);
        MalformedMessageException malformed = MalformedMessageException.in(cause);
        int seqId = malformed == null ? 0 : malformed.seqId();
        answerAndClose(ThriftMessage.exception("", seqId, new TApplicationException(
                TApplicationException.PROTOCOL_ERROR, "unreadable first frame: " + reason)));
    }

    /** For meters: {@code first_frame_size}, {@code first_frame_timeout}, {@code too_deep} or {@code bad_first_frame}. */
    private static String reasonOf(Throwable cause) {
        if (cause instanceof TooLongFrameException) {
            return "first_frame_size";
        } else if (cause instanceof FrameTimeoutException) {
            return "first_frame_timeout";
        } else if (MalformedMessageException.in(cause) != null
                && MalformedMessageException.in(cause).reason().equals("too_deep")) {
            return "too_deep";
        }
        return "bad_first_frame";
    }


    /** Writes one reply frame, then closes: the client learns why, and nothing else is read from it. */
    private void answerAndClose(ThriftMessage message) {
        ctx.channel().config().setAutoRead(false);
        ByteBuf frame;
        try {
            frame = ThriftMessageCodec.encodeFrame(ctx.alloc(), message);
        } catch (TException e) {
            ctx.close();
            return;
        }
        ctx.writeAndFlush(frame).addListener(ChannelFutureListener.CLOSE);
    }
}
