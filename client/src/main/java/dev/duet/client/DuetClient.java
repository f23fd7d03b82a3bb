package dev.duet.client;

import dev.duet.protocol.client.ClientFrameDecoder;
import dev.duet.protocol.client.ClientFrameEncoder;
import dev.duet.protocol.client.MessageCatalog;
import dev.duet.protocol.client.ThriftMessage;
import dev.duet.protocol.client.ThriftMessageCodec;
import dev.duet.thrift.chat.AuthRequest;
import dev.duet.thrift.chat.AuthResponse;
import dev.duet.thrift.chat.ChatError;
import dev.duet.thrift.chat.ChatService;
import dev.duet.thrift.chat.ClientEvents;
import dev.duet.thrift.chat.ErrorCode;
import dev.duet.thrift.chat.History;
import dev.duet.thrift.chat.SendResult;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.codec.quic.Quic;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import org.apache.thrift.TBase;
import org.apache.thrift.TFieldIdEnum;
import org.apache.thrift.protocol.TMessageType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Duet chat client. It connects over TLS (on TCP or QUIC, {@link Transport}), authenticates, and keeps the session
 * up: when the connection drops it reconnects with jittered exponential backoff, to the next presenter address, and
 * authenticates again with the highest seq up to which it has received every message, so the server sends what it
 * missed. Over QUIC it pings every 20 s (a third of the idle timeout, if shorter), to keep the path open; a presenter
 * that is gone is noticed by QUIC's idle timeout (60 s, or the presenter's if shorter).
 *
 * <h3>Delivery</h3>
 * {@link ChatListener#messageReceived} sees every message of the couple once, in seq order, this device's own included
 * (the server echoes them). A seq already seen is dropped; a push that would skip one ends the connection, and the
 * reconnect resumes from the last seq without a gap.
 *
 * <h3>Sends</h3>
 * {@link #send} never loses or duplicates a message: each carries a client message id, and an unacknowledged send is
 * sent again (same id) after a reconnect, after its call timed out, or when storage asked for a retry — until it is
 * acknowledged, refused for good, cancelled (cancel the returned future), or the client is closed. Pending sends go
 * right behind {@code authenticate} on a new connection, without waiting for its answer (the server serves calls in
 * order): on a resumed QUIC session both leave in the first flight, as 0-RTT early data. Only these two go there:
 * they are safe if replayed (a send is idempotent by its id). Every other call goes on the current connection, and
 * fails while that connection's session is not yet confirmed (0-RTT).
 *
 * <p>Over TCP it uses plain NIO and the JDK's or BoringSSL's TLS, whichever is present; QUIC needs the native QUIC
 * library (Linux x86-64 here).
 */
public final class DuetClient implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DuetClient.class);
    private static final MessageCatalog CATALOG = MessageCatalog.client();
    /** The QUIC idle timeout the client asks for; the connection ends at the shorter of this and the server's. */
    private static final Duration QUIC_IDLE_TIMEOUT = Duration.ofSeconds(60);

    private final ClientOptions options;
    private final ChatListener listener;
    private final EventLoopGroup group;
    private final Connector connector;
    private final AtomicInteger seqIds = new AtomicInteger();
    private final Map<Integer, CompletableFuture<ThriftMessage>> calls = new ConcurrentHashMap<>();
    private final Map<String, PendingSend> sends = new ConcurrentHashMap<>();
    private final MessageIds messageIds = new MessageIds(Clock.systemUTC());
    private volatile Channel channel;
    private volatile CompletableFuture<AuthResponse> session = new CompletableFuture<>();
    private volatile long contiguousSeq;
    private volatile ConnectionState state = ConnectionState.CONNECTING;
    private volatile boolean closed;
    private long backoffMillis = 100;
    private int attempts;

    /** A send not yet acknowledged, and the connection its call is in flight on (null: none; the event loop's). */
    private static final class PendingSend {
        final String clientMsgId;
        final String body;
        final CompletableFuture<SendResult> result = new CompletableFuture<>();
        Channel sentOn;

        PendingSend(String clientMsgId, String body) {
            this.clientMsgId = clientMsgId;
            this.body = body;
        }
    }

    /** A call's reply did not come within the call timeout; the connection may still be fine. */
    private static final class CallTimeoutException extends IOException {
        private static final long serialVersionUID = 1L;

        CallTimeoutException(String method) {
            super(method + " timed out");
        }
    }

    private DuetClient(ClientOptions options, ChatListener listener) throws SSLException {
        this.options = options;
        this.listener = listener;
        this.contiguousSeq = options.lastSeenSeq();
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("duet-client", true),
                NioIoHandler.newFactory());
        try {
            this.connector = connector(options, group);
        } catch (SSLException | RuntimeException e) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw e;
        }
    }

    private static Connector connector(ClientOptions options, EventLoopGroup group) throws SSLException {
        TcpConnector tcp = new TcpConnector(group, options.tls() ? ClientTlsContexts.tcp(options.trustedCa()) : null);
        if (options.transport() == Transport.TCP) {
            return tcp;
        }
        if (!Quic.isAvailable()) {
            if (options.transport() == Transport.QUIC) {
                throw new IllegalStateException("QUIC is not available here: " + Quic.unavailabilityCause());
            }
            log.info("QUIC is not available here ({}): TCP only", Quic.unavailabilityCause().toString());
            return tcp;
        }
        // A handshake gets as long as a call; the connection ends when idle as long as the server allows.
        QuicConnector quic = new QuicConnector(group, ClientTlsContexts.quic(options.trustedCa()),
                options.callTimeout(), QUIC_IDLE_TIMEOUT);
        return options.transport() == Transport.QUIC ? quic : new FallbackConnector(group, quic, tcp);
    }

    /** Connects and authenticates; the future completes with the server's answer, or fails if the token is refused. */
    public static CompletableFuture<DuetClient> connect(ClientOptions options, ChatListener listener) {
        try {
            DuetClient client = start(options, listener);
            return client.session.thenApply(auth -> client).whenComplete((ok, failure) -> {
                if (failure != null) {
                    client.close();
                }
            });
        } catch (SSLException | RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Starts connecting and returns at once: messages sent now leave right behind {@code authenticate} (in the first
     * flight on a resumed QUIC session); other calls wait for the session. {@link #state()} says how far it got.
     *
     * @throws IllegalStateException if QUIC alone was asked for and its native library does not load here
     */
    public static DuetClient start(ClientOptions options, ChatListener listener) throws SSLException {
        DuetClient client = new DuetClient(options, listener);
        client.connectNow();
        return client;
    }

    /** The current session's answer to {@code authenticate}. */
    public AuthResponse session() {
        return session.getNow(null);
    }

    /** Highest seq up to which this device has received every message of the couple. */
    public long lastSeenSeq() {
        return contiguousSeq;
    }

    /** Where the session stands now. */
    public ConnectionState state() {
        return state;
    }

    private void setState(ConnectionState next) {
        if (enterState(next)) {
            listener.stateChanged(next);
        }
    }

    /** Moves to {@code next} unless already there or stopped for good; returns whether it did. */
    private synchronized boolean enterState(ConnectionState next) {
        if (state == next || state == ConnectionState.CLOSED || state == ConnectionState.AUTH_FAILED) {
            return false;
        }
        state = next;
        return true;
    }

    private void connectNow() {
        if (closed) {
            return;
        }
        InetSocketAddress target;
        try {
            target = nextAddress();
        } catch (UnknownHostException e) {
            reconnectLater("cannot resolve " + e.getMessage());
            return;
        }
        Future<Channel> opening;
        try {
            opening = connector.open(target);
        } catch (RuntimeException e) {
            reconnectLater("cannot connect to " + target + ": " + e);
            return;
        }
        opening.addListener(opened -> {
            if (!opened.isSuccess()) {
                reconnectLater("cannot connect to " + target + ": " + opened.cause().getMessage());
                return;
            }
            Channel ch = (Channel) opened.getNow();
            ch.pipeline().addLast(new ClientFrameDecoder(), new ClientFrameEncoder(),
                    new ThriftMessageCodec(CATALOG), new Receiver());
            if (closed) {
                ch.close();
            } else if (!ch.isActive()) {
                reconnectLater("connection to " + target + " lost");
            } else {
                authenticate(ch);
            }
        });
    }

    /** The next of every address of every presenter, in turn: one attempt after another goes round them all. */
    private InetSocketAddress nextAddress() throws UnknownHostException {
        List<InetSocketAddress> all = new ArrayList<>();
        UnknownHostException unresolved = null;
        for (InetSocketAddress presenter : options.presenters()) {
            try {
                for (InetAddress address : InetAddress.getAllByName(presenter.getHostString())) {
                    all.add(new InetSocketAddress(InetAddress.getByAddress(presenter.getHostString(),
                            address.getAddress()), presenter.getPort()));
                }
            } catch (UnknownHostException e) {
                unresolved = e;
            }
        }
        if (all.isEmpty()) {
            throw unresolved;
        }
        return all.get(Math.floorMod(attempts++, all.size()));
    }

    private void authenticate(Channel ch) {
        channel = ch;
        CompletableFuture<ThriftMessage> authenticated = call(ch, "authenticate",
                new ChatService.authenticate_args(new AuthRequest(options.token(), contiguousSeq)));
        sends.values().forEach(send -> sendOn(ch, send));
        authenticated.whenComplete((reply, failure) -> {
            AuthResponse auth;
            try {
                if (failure != null) {
                    throw failure;
                }
                auth = success(reply);
            } catch (ChatError refused) {
                if (refused.getCode() == ErrorCode.AUTH_FAILED) {
                    // For good, also on a reconnect (the token expired): nothing waits on a dead client.
                    // The state first (what a failed future's callback sees), closed before the listener
                    // hears of it, so a send made from the listener fails at once.
                    boolean changed = enterState(ConnectionState.AUTH_FAILED);
                    closed = true;
                    session.completeExceptionally(refused);
                    sends.values().forEach(send -> send.result.completeExceptionally(refused));
                    if (changed) {
                        listener.stateChanged(ConnectionState.AUTH_FAILED);
                    }
                    ch.close();
                    group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
                    return;
                }
                ch.close();
                return;
            } catch (Throwable lost) {
                ch.close();
                return;
            }
            backoffMillis = 100;
            // Claiming more than exists ("only new messages") means: everything up to the last seq.
            contiguousSeq = Math.min(contiguousSeq, auth.getLastSeq());
            setState(ConnectionState.CONNECTED);
            boolean again = session.isDone();
            if (again) {
                session = CompletableFuture.completedFuture(auth);
                listener.reconnected();
            } else {
                session.complete(auth);
            }
            sends.values().forEach(this::trySend);
            long keepAlive = connector.keepAliveMillis(ch);
            if (keepAlive > 0) {
                keepAlive(ch, keepAlive);
            }
        });
    }

    /**
     * Pings on {@code ch} every {@code millis} while it is the session's connection. Over QUIC this keeps
     * the path's NAT bindings open (a carrier drops an idle UDP mapping within a minute or two, and pushes would be
     * lost until the client next sent), and it makes a dead path the only idle one: a presenter that is gone
     * acknowledges nothing, and QUIC's idle timeout ({@link #QUIC_IDLE_TIMEOUT}) ends the connection. The ping's own
     * answer is not waited for: it queues behind the session's other calls, which a slow store may hold up.
     */
    private void keepAlive(Channel ch, long millis) {
        group.schedule(() -> {
            if (ch != channel || !ch.isActive()) {
                return;
            }
            call(ch, "ping", new ChatService.ping_args(System.currentTimeMillis()));
            keepAlive(ch, millis);
        }, millis, TimeUnit.MILLISECONDS);
    }

    private void reconnectLater(String why) {
        if (closed) {
            return;
        }
        long delay = backoffMillis + ThreadLocalRandom.current().nextLong(backoffMillis + 1);
        backoffMillis = Math.min(options.maxBackoff().toMillis(), backoffMillis * 2);
        log.info("{}; reconnecting in {} ms", why, delay);
        group.schedule(this::connectNow, delay, TimeUnit.MILLISECONDS);
    }

    // ---- calls ----

    /**
     * Sends a message under a new time-ordered id ({@link MessageIds}); completes once it is durable on the server,
     * however many reconnects that takes.
     */
    public CompletableFuture<SendResult> send(String body) {
        return send(messageIds.next(), body);
    }

    /**
     * Sends a message under the app's own idempotency key: ids are unique per sender (all of one person's devices);
     * the same id with another body is refused ({@code BAD_REQUEST}). Ids that increase byte-wise per sender are
     * stored faster (no read of the couple first).
     */
    public CompletableFuture<SendResult> send(String clientMsgId, String body) {
        PendingSend send = new PendingSend(clientMsgId, body);
        sends.put(send.clientMsgId, send);
        send.result.whenComplete((result, failure) -> sends.remove(send.clientMsgId));
        // After the put: a close() running now either fails this send in its sweep or is seen here.
        if (closed) {
            send.result.completeExceptionally(new IOException("client closed"));
            return send.result;
        }
        // On the event loop, as every other send of it: a send is in flight on a connection at most once.
        try {
            group.execute(() -> trySend(send));
        } catch (RejectedExecutionException closing) {
            // close() ran meanwhile: its sweep fails this send
        }
        return send.result;
    }

    /** Sends on the current connection once its session is up; until then the next authenticate takes it along. */
    private void trySend(PendingSend send) {
        Channel ch = channel;
        if (ch == null || !ch.isActive() || !session.isDone() || session.isCompletedExceptionally()) {
            return;
        }
        sendOn(ch, send);
    }

    /** Sends on {@code ch} unless done or already in flight there. */
    private void sendOn(Channel ch, PendingSend send) {
        if (send.result.isDone() || send.sentOn == ch) {
            return;
        }
        send.sentOn = ch;
        call(ch, "sendMessage", new ChatService.sendMessage_args(send.clientMsgId, send.body))
                .whenComplete((reply, failure) -> {
                    if (failure != null) {
                        forget(send, ch);
                        if (failure instanceof CallTimeoutException && ch.isActive()) {
                            // The server may still store it: the same id again is answered with the same seq.
                            sendOn(ch, send);
                        }
                        // On a lost connection the reconnect sends it again.
                        return;
                    }
                    try {
                        SendResult result = success(reply);
                        send.result.complete(result);
                    } catch (ChatError error) {
                        forget(send, ch);
                        if (error.getCode() == ErrorCode.UNAVAILABLE || error.getCode() == ErrorCode.OVERLOAD) {
                            group.schedule(() -> trySend(send), 200, TimeUnit.MILLISECONDS);
                        } else if (error.getCode() != ErrorCode.NOT_AUTHENTICATED) {
                            // NOT_AUTHENTICATED: sent behind an authenticate that failed; the server ends the
                            // session, and the reconnect sends it again.
                            send.result.completeExceptionally(error);
                        }
                    }
                });
    }

    /** The call of {@code send} on {@code ch} is over; a call on a newer connection stays marked. */
    private static void forget(PendingSend send, Channel ch) {
        if (send.sentOn == ch) {
            send.sentOn = null;
        }
    }

    public CompletableFuture<History> history(long beforeSeq, int limit) {
        return once("fetchHistory", new ChatService.fetchHistory_args(beforeSeq, limit));
    }

    public CompletableFuture<Void> markRead(long seq) {
        return once("markRead", new ChatService.markRead_args(seq));
    }

    public CompletableFuture<Void> typing(boolean typing) {
        return once("setTyping", new ChatService.setTyping_args(typing));
    }

    /** A call made once on the current session (no retry: the caller decides). */
    private <T> CompletableFuture<T> once(String method, TBase<?, ?> args) {
        return session.thenCompose(auth -> {
            Channel ch = channel;
            if (ch == null || !ch.isActive()) {
                return CompletableFuture.failedFuture(new IOException("not connected"));
            }
            if (connector.inEarlyData(ch)) {
                // Early data may be replayed: only authenticate and sends go there (docs/protocol.md).
                return CompletableFuture.failedFuture(new IOException("reconnecting: the new session is not "
                        + "confirmed yet"));
            }
            return call(ch, method, args).thenApply(reply -> {
                try {
                    return DuetClient.<T>success(reply);
                } catch (ChatError error) {
                    throw new CompletionException(error);
                }
            });
        });
    }

    private CompletableFuture<ThriftMessage> call(Channel ch, String method, TBase<?, ?> args) {
        int seqId = seqIds.incrementAndGet();
        CompletableFuture<ThriftMessage> reply = new CompletableFuture<>();
        calls.put(seqId, reply);
        ch.writeAndFlush(ThriftMessage.call(method, seqId, args)).addListener(written -> {
            if (!written.isSuccess()) {
                reply.completeExceptionally(written.cause());
            }
        });
        ScheduledFuture<?> timeout = group.schedule(() -> reply.completeExceptionally(new CallTimeoutException(method)),
                options.callTimeout().toMillis(), TimeUnit.MILLISECONDS);
        reply.whenComplete((r, f) -> {
            calls.remove(seqId);
            timeout.cancel(false);
        });
        return reply;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static <T> T success(ThriftMessage reply) throws ChatError {
        if (reply.type() == TMessageType.EXCEPTION) {
            throw new ChatError(ErrorCode.INTERNAL, String.valueOf(((Exception) reply.body()).getMessage()));
        }
        TBase result = (TBase) reply.body();
        TFieldIdEnum error = result.fieldForId(1);
        if (error != null && result.isSet(error)) {
            throw (ChatError) result.getFieldValue(error);
        }
        TFieldIdEnum value = result.fieldForId(0);
        return value == null ? null : (T) result.getFieldValue(value);
    }

    private final class Receiver extends SimpleChannelInboundHandler<ThriftMessage> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ThriftMessage message) {
            if (message.type() != TMessageType.ONEWAY) {
                CompletableFuture<ThriftMessage> reply = calls.get(message.seqId());
                if (reply != null) {
                    reply.complete(message);
                }
                return;
            }
            Object args = message.body();
            if (args instanceof ClientEvents.messageReceived_args received) {
                long seq = received.getMessage().getSeq();
                if (seq == contiguousSeq + 1) {
                    contiguousSeq = seq;
                    listener.messageReceived(received.getMessage());
                } else if (seq > contiguousSeq + 1) {
                    log.warn("push of seq {} after {}: reconnecting to resume without a gap", seq, contiguousSeq);
                    ctx.close();
                }
            } else if (args instanceof ClientEvents.partnerTyping_args typing) {
                listener.partnerTyping(typing.getUserId(), typing.isTyping());
            } else if (args instanceof ClientEvents.readMarkUpdated_args mark) {
                listener.readMarkUpdated(mark.getUserId(), mark.getSeq());
            } else if (args instanceof ClientEvents.sessionEnding_args ending) {
                listener.sessionEnding(ending.getReason(), ending.getDetail());
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            calls.values().forEach(call -> call.completeExceptionally(new IOException("connection lost")));
            if (!closed) {
                setState(ConnectionState.RECONNECTING);
            }
            reconnectLater("connection lost");
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("connection error: {}", cause.toString());
            ctx.close();
        }
    }

    @Override
    public void close() {
        setState(ConnectionState.CLOSED);
        closed = true;
        Channel ch = channel;
        if (ch != null) {
            ch.close();
        }
        sends.values().forEach(send -> send.result.completeExceptionally(new IOException("client closed")));
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
