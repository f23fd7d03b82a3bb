package dev.duet.presenter;

import dev.duet.protocol.mux.MuxFailureDetector;
import dev.duet.protocol.mux.MuxFrameDecoder;
import dev.duet.protocol.mux.MuxFrameEncoder;
import dev.duet.protocol.mux.MuxFlushes;
import dev.duet.protocol.mux.MuxFrames;
import dev.duet.protocol.mux.MuxHandler;
import dev.duet.protocol.mux.MuxSettings;
import dev.duet.protocol.tls.MuxTls;
import dev.duet.protocol.mux.StreamChannel;
import dev.duet.ring.Member;
import dev.duet.thrift.mux.GoAway;
import dev.duet.thrift.mux.Open;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fixed number of long-lived mux connections to one chat server, shared by every client routed there, each on an
 * event loop of its own (as far as there are loops). A stream goes to the ready connection with the fewest streams
 * among those on its client's loop, or among all when none is ready there. A slot whose connection is lost (or that
 * received {@code GOAWAY}) connects again with jittered exponential backoff, until the pool is closed or retired.
 *
 * <h3>Health</h3>
 * Each connection has a {@link MuxFailureDetector}: one whose {@code PING} goes unanswered past the threshold is
 * closed as sick. A connection attempt must finish its {@code HELLO} within that threshold too. The pool is
 * {@linkplain #isUnreachable() unreachable} while none of its connections is up and its last attempt to connect
 * failed — a killed chat server is unreachable within one reconnect (about 100 ms), a black-holed one within the
 * threshold — and routing then goes around it. Streams waiting for a connection fail at once when it becomes
 * unreachable, so their clients are routed again.
 *
 * <p>The pool's gauge {@code duet.presenter.mux.connections{chat_server}} (connections up) lives as long as the pool:
 * closing the pool removes it from the registry.
 */
final class MuxPool {
    private static final Logger log = LoggerFactory.getLogger(MuxPool.class);
    private static final long MIN_BACKOFF_MILLIS = 100;
    private static final long MAX_BACKOFF_MILLIS = 10_000;
    /** Connections at most when there is one per event loop. */
    private static final int MAX_AUTOMATIC_SIZE = 64;

    private final Member member;
    private final Bootstrap bootstrap;
    private final MuxSettings settings;
    private final Slot[] slots;

    private final AtomicInteger connected = new AtomicInteger();
    private final Duration pingInterval;
    private final Duration pingThreshold;
    private final Duration readyWait;
    /** Mutual TLS toward the chat server, or null for plain TCP. */
    private final MuxTls tls;
    private final Runnable healthChanged;
    private volatile boolean unreachable;
    private final MeterRegistry registry;
    private final Gauge connectedGauge;
    private final Queue<PendingOpen> waiting = new ConcurrentLinkedQueue<>();
    private volatile boolean closed;

    private final class Slot {
        /** The slot's own event loop, so that the connections of a pool spread over the loops the clients are on. */
        final EventLoop loop;
        volatile Channel channel;
        volatile MuxHandler mux;
        volatile Channel sick;
        long backoffMillis = MIN_BACKOFF_MILLIS;

        Slot(EventLoop loop) {
            this.loop = loop;
        }

        void connect() {
            if (closed) {
                return;
            }
            MuxHandler handler = new MuxHandler(MuxHandler.Role.OPENER, settings, null);
            ChannelFuture connecting = bootstrap.clone(loop).handler(new ChannelInitializer<>() {
                @Override
                protected void initChannel(Channel ch) {
                    if (tls != null) {
                        tls.install(ch, member.host(), member.muxPort());
                    }
                    ch.pipeline().addLast(MuxFlushes.newConsolidation(),
                            new MuxFrameDecoder(settings.maxFrameSize(), MuxFrames.DEFAULT_FRAME_TIMEOUT_MILLIS),
                            new MuxFrameEncoder(), handler,
                            new MuxFailureDetector(pingInterval, pingThreshold), new GoAwayWatcher(Slot.this));
                }
            }).connect(member.host(), member.muxPort());
            Channel ch = connecting.channel();
            connecting.addListener(done -> {
                if (!done.isSuccess()) {
                    attemptFailed(ch, "connect failed: " + done.cause());
                    return;
                }
                // A peer that accepts but never says HELLO (a black-holed link) must not hold the slot forever.
                ch.eventLoop().schedule(() -> {
                    if (!handler.ready().isDone()) {
                        ch.close();
                    }
                }, pingThreshold.toMillis(), TimeUnit.MILLISECONDS);
                handler.ready().addListener(ready -> {
                    if (closed) {
                        ch.close();
                        return;
                    }
                    if (!ready.isSuccess() || !ch.isActive()) {
                        ch.close();
                        attemptFailed(ch, "no HELLO within " + pingThreshold.toMillis() + " ms"
                                + (ready.cause() == null ? "" : ": " + ready.cause()));
                        return;
                    }
                    backoffMillis = MIN_BACKOFF_MILLIS;
                    mux = handler;
                    channel = ch;
                    connected.incrementAndGet();
                    setUnreachable(false);
                    openWaiting();
                    ch.closeFuture().addListener(gone -> {
                        connected.decrementAndGet();
                        if (channel == ch) {
                            if (sick == ch) {
                                attemptFailed(ch, "closed as sick");
                            } else {
                                retryLater(ch, "connection closed");
                            }
                        }
                    });
                });
            });
        }

        private void attemptFailed(Channel ch, String why) {
            if (connected.get() == 0 && !closed) {
                setUnreachable(true);
            }
            retryLater(ch, why);
        }

        /** The chat server is draining this connection: open a replacement, retire this one once it is empty. */
        void replace(Channel retiring, MuxHandler retiringMux) {
            if (channel != retiring) {
                return;
            }
            channel = null;
            mux = null;
            connect();
            closeWhenEmpty(retiring, retiringMux);
        }

        private void closeWhenEmpty(Channel retiring, MuxHandler retiringMux) {
            if (retiringMux.streamCount() == 0) {
                retiring.close();
            } else if (retiring.isActive()) {
                retiring.eventLoop().schedule(() -> closeWhenEmpty(retiring, retiringMux), 1, TimeUnit.SECONDS);
            }
        }

        private void retryLater(Channel ch, String why) {
            if (channel == ch) {
                channel = null;
                mux = null;
            }
            if (closed) {
                return;
            }
            long delay = backoffMillis + ThreadLocalRandom.current().nextLong(backoffMillis / 2 + 1);
            backoffMillis = Math.min(MAX_BACKOFF_MILLIS, backoffMillis * 2);
            log.info("mux connection to {} ({}:{}): {}; retrying in {} ms", member.id(), member.host(),
                    member.muxPort(), why, delay);
            ch.eventLoop().schedule(this::connect, delay, TimeUnit.MILLISECONDS);
        }
    }

    /** Passes a chat server's {@code GOAWAY} (replace the connection) and a sick verdict to the slot. */
    private static final class GoAwayWatcher extends ChannelInboundHandlerAdapter {
        private final Slot slot;

        GoAwayWatcher(Slot slot) {
            this.slot = slot;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof GoAway) {
                slot.replace(ctx.channel(), ctx.pipeline().get(MuxHandler.class));
            } else if (evt instanceof MuxFailureDetector.MuxConnectionSick) {
                slot.sick = ctx.channel();
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.info("mux connection {} failed: {}", ctx.channel(), cause.toString());
        }
    }

    /** {@code size} connections, or with 0 one per event loop of {@code bootstrap}'s group (at most 64). */
    MuxPool(Member member, Bootstrap bootstrap, MuxSettings settings, int size, MuxTimings timings,
            MuxTls tls, MeterRegistry registry, Runnable healthChanged) {
        this.member = member;
        this.tls = tls;
        this.pingInterval = timings.pingInterval();
        this.pingThreshold = timings.pingThreshold();
        this.readyWait = timings.readyWait();
        this.healthChanged = healthChanged;
        this.bootstrap = bootstrap.clone().option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) pingThreshold.toMillis());
        this.settings = settings;
        this.registry = registry;
        this.connectedGauge = Gauge.builder("duet.presenter.mux.connections", connected, AtomicInteger::get)
                .tag("chat_server", member.id()).register(registry);
        List<EventLoop> loops = new ArrayList<>();
        bootstrap.config().group().forEach(loop -> loops.add((EventLoop) loop));
        this.slots = new Slot[size > 0 ? size : Math.min(loops.size(), MAX_AUTOMATIC_SIZE)];
        int first = ThreadLocalRandom.current().nextInt(loops.size());
        for (int i = 0; i < slots.length; i++) {
            slots[i] = new Slot(loops.get((first + i) % loops.size()));
            slots[i].connect();
        }
    }

    Member member() {
        return member;
    }

    int connectedCount() {
        return connected.get();
    }

    /** No connection up and the last attempt failed: route around this chat server. */
    boolean isUnreachable() {
        return unreachable;
    }

    /** Whether a new stream could go out now: a connection is up and not going away. */
    boolean isServing() {
        for (Slot slot : slots) {
            MuxHandler mux = slot.mux;
            Channel channel = slot.channel;
            if (mux != null && channel != null && channel.isActive() && !mux.isGoingAway()) {
                return true;
            }
        }
        return false;
    }

    private void setUnreachable(boolean now) {
        if (unreachable != now) {
            unreachable = now;
            if (now) {
                log.warn("chat server {} ({}:{}) is unreachable: routing around it", member.id(), member.host(),
                        member.muxPort());
                failWaiting(member.id() + " is unreachable");
            } else {
                log.info("chat server {} is reachable again", member.id());
            }
            healthChanged.run();
        }
    }

    /**
     * Opens a stream on the least-loaded ready connection on {@code executor}'s event loop (the client's), else on the
     * least-loaded ready one: a stream on its client's loop relays without a hand-off between threads. With none
     * ready (the chat server just joined, or every connection is reconnecting) the request waits up to the ready wait
     * (the route deadline) for one; an unreachable pool fails it at once.
     */
    Future<StreamChannel> openStream(Open open, ChannelHandler initializer, EventExecutor executor) {
        Promise<StreamChannel> result = executor.newPromise();
        if (unreachable) {
            return result.setFailure(new IllegalStateException(member.id() + " is unreachable"));
        }
        if (!tryOpen(open, initializer, executor, result)) {
            PendingOpen pending = new PendingOpen(open, initializer, executor, result);
            waiting.add(pending);
            executor.schedule(() -> {
                if (giveUp(pending)) {
                    result.tryFailure(new IllegalStateException("no ready mux connection to " + member.id()));
                }
            }, readyWait.toMillis(), TimeUnit.MILLISECONDS);
            openWaiting();
        }
        return result;
    }

    private record PendingOpen(Open open, ChannelHandler initializer, EventExecutor executor,
                               Promise<StreamChannel> result) {
    }

    /**
     * Opens what waits, oldest first, while a connection is ready. Synchronized with the wait's timeout: connections
     * getting ready on several event loops at once must not open one waiting stream twice.
     */
    private synchronized void openWaiting() {
        for (PendingOpen pending; (pending = waiting.peek()) != null; ) {
            if (!tryOpen(pending.open(), pending.initializer(), pending.executor(), pending.result())) {
                return;
            }
            waiting.remove(pending);
        }
    }

    private synchronized boolean giveUp(PendingOpen pending) {
        return waiting.remove(pending);
    }

    private synchronized void failWaiting(String why) {
        for (PendingOpen pending; (pending = waiting.poll()) != null; ) {
            pending.result().tryFailure(new IllegalStateException(why));
        }
    }

    private boolean tryOpen(Open open, ChannelHandler initializer, EventExecutor executor,
                            Promise<StreamChannel> result) {
        if (closed) {
            result.tryFailure(new IllegalStateException("the pool to " + member.id() + " is closed"));
            return true;
        }
        MuxHandler bestMux = null;
        Channel bestChannel = null;
        boolean bestOnLoop = false;
        int fewest = Integer.MAX_VALUE;
        for (Slot slot : slots) {
            MuxHandler mux = slot.mux;
            Channel channel = slot.channel;
            if (mux != null && channel != null && channel.isActive() && !mux.isGoingAway()) {
                int streams = mux.streamCount();
                boolean onLoop = channel.eventLoop() == executor;
                boolean better = onLoop == bestOnLoop ? streams < fewest : onLoop;
                if (better && streams < mux.peerSettings().maxConcurrentStreams()) {
                    fewest = streams;
                    bestOnLoop = onLoop;
                    bestMux = mux;
                    bestChannel = channel;
                }
            }
        }
        if (bestMux == null) {
            return false;
        }
        MuxHandler mux = bestMux;
        Runnable openNow = () -> mux.openStream(open, initializer).addListener(opened -> {
            if (opened.isSuccess()) {
                result.trySuccess((StreamChannel) opened.getNow());
            } else {
                result.tryFailure(opened.cause());
            }
        });
        if (bestChannel.eventLoop().inEventLoop()) {
            openNow.run();
        } else {
            bestChannel.eventLoop().execute(openNow);
        }
        return true;
    }

    /** Sends {@code GOAWAY} on every connection: this presenter opens no more streams there. */
    void goAway() {
        for (Slot slot : slots) {
            MuxHandler mux = slot.mux;
            Channel channel = slot.channel;
            if (mux != null && channel != null) {
                channel.eventLoop().execute(() -> mux.goAway("presenter draining"));
            }
        }
    }

    /** Closes every connection, which closes their streams and so the clients relayed over them. */
    void close() {
        stop();
        for (Slot slot : slots) {
            Channel channel = slot.channel;
            if (channel != null) {
                channel.close();
            }
        }
    }

    /**
     * Takes no more streams and connects no more, but lets the streams in progress finish: each connection closes
     * once it has none left, as after a {@code GOAWAY}. For a member that left the ring.
     */
    void retire() {
        stop();
        for (Slot slot : slots) {
            Channel channel = slot.channel;
            MuxHandler mux = slot.mux;
            if (channel != null && mux != null) {
                channel.eventLoop().execute(() -> slot.closeWhenEmpty(channel, mux));
            }
        }
    }

    private void stop() {
        closed = true;
        registry.remove(connectedGauge);
        failWaiting("the pool to " + member.id() + " is closed");
    }
}
