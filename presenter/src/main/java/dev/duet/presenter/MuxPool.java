package dev.duet.presenter;

import dev.duet.protocol.mux.MuxFrameDecoder;
import dev.duet.protocol.mux.MuxFrameEncoder;
import dev.duet.protocol.mux.MuxFrames;
import dev.duet.protocol.mux.MuxHandler;
import dev.duet.protocol.mux.MuxSettings;
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
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fixed number of long-lived mux connections to one chat server, shared by every client routed there. Streams go to
 * the ready connection with the fewest streams. A slot whose connection is lost (or that received {@code GOAWAY})
 * connects again with jittered exponential backoff, until the pool is closed.
 *
 * <p>The pool's gauge {@code duet.presenter.mux.connections{chat_server}} (connections up) lives as long as the pool:
 * closing the pool removes it from the registry.
 */
final class MuxPool {
    private static final Logger log = LoggerFactory.getLogger(MuxPool.class);
    private static final long MIN_BACKOFF_MILLIS = 100;
    private static final long MAX_BACKOFF_MILLIS = 10_000;

    private final Member member;
    private final Bootstrap bootstrap;
    private final MuxSettings settings;
    private final Slot[] slots;
    private static final long READY_WAIT_MILLIS = 5_000;

    private final AtomicInteger connected = new AtomicInteger();
    private final MeterRegistry registry;
    private final Gauge connectedGauge;
    private final Queue<PendingOpen> waiting = new ConcurrentLinkedQueue<>();
    private volatile boolean closed;

    private final class Slot {
        volatile Channel channel;
        volatile MuxHandler mux;
        long backoffMillis = MIN_BACKOFF_MILLIS;

        void connect() {
            if (closed) {
                return;
            }
            MuxHandler handler = new MuxHandler(MuxHandler.Role.OPENER, settings, null);
            ChannelFuture connecting = bootstrap.clone().handler(new ChannelInitializer<>() {
                @Override
                protected void initChannel(Channel ch) {
                    ch.pipeline().addLast(new MuxFrameDecoder(settings.maxFrameSize(),
                            MuxFrames.DEFAULT_FRAME_TIMEOUT_MILLIS), new MuxFrameEncoder(), handler,
                            new GoAwayWatcher(Slot.this));
                }
            }).connect(member.host(), member.muxPort());
            Channel ch = connecting.channel();
            connecting.addListener(done -> {
                if (!done.isSuccess()) {
                    retryLater(ch, "connect failed: " + done.cause());
                    return;
                }
                handler.ready().addListener(ready -> {
                    if (!ready.isSuccess()) {
                        ch.close();
                        retryLater(ch, "handshake failed: " + ready.cause());
                        return;
                    }
                    backoffMillis = MIN_BACKOFF_MILLIS;
                    mux = handler;
                    channel = ch;
                    connected.incrementAndGet();
                    openWaiting();
                    ch.closeFuture().addListener(gone -> {
                        connected.decrementAndGet();
                        if (channel == ch) {
                            retryLater(ch, "connection closed");
                        }
                    });
                });
            });
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

    /** Passes a chat server's {@code GOAWAY} to the slot, which replaces the connection. */
    private static final class GoAwayWatcher extends ChannelInboundHandlerAdapter {
        private final Slot slot;

        GoAwayWatcher(Slot slot) {
            this.slot = slot;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof GoAway) {
                slot.replace(ctx.channel(), ctx.pipeline().get(MuxHandler.class));
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.info("mux connection {} failed: {}", ctx.channel(), cause.toString());
        }
    }

    MuxPool(Member member, Bootstrap bootstrap, MuxSettings settings, int size, MeterRegistry registry) {
        this.member = member;
        this.bootstrap = bootstrap.clone().option(ChannelOption.TCP_NODELAY, true);
        this.settings = settings;
        this.registry = registry;
        this.connectedGauge = Gauge.builder("duet.presenter.mux.connections", connected, AtomicInteger::get)
                .tag("chat_server", member.id()).register(registry);
        this.slots = new Slot[size];
        for (int i = 0; i < size; i++) {
            slots[i] = new Slot();
            slots[i].connect();
        }
    }

    Member member() {
        return member;
    }

    int connectedCount() {
        return connected.get();
    }

    /**
     * Opens a stream on the least-loaded ready connection. With none ready (the chat server just joined, or every
     * connection is reconnecting) the request waits up to {@link #READY_WAIT_MILLIS} for one.
     */
    Future<StreamChannel> openStream(Open open, ChannelHandler initializer, EventExecutor executor) {
        Promise<StreamChannel> result = executor.newPromise();
        if (!tryOpen(open, initializer, result)) {
            PendingOpen pending = new PendingOpen(open, initializer, result);
            waiting.add(pending);
            executor.schedule(() -> {
                if (waiting.remove(pending)) {
                    result.tryFailure(new IllegalStateException("no ready mux connection to " + member.id()));
                }
            }, READY_WAIT_MILLIS, TimeUnit.MILLISECONDS);
            openWaiting();
        }
        return result;
    }

    private record PendingOpen(Open open, ChannelHandler initializer, Promise<StreamChannel> result) {
    }

    private void openWaiting() {
        for (PendingOpen pending; (pending = waiting.peek()) != null; ) {
            if (!tryOpen(pending.open(), pending.initializer(), pending.result())) {
                return;
            }
            waiting.remove(pending);
        }
    }

    private boolean tryOpen(Open open, ChannelHandler initializer, Promise<StreamChannel> result) {
        if (closed) {
            result.tryFailure(new IllegalStateException("the pool to " + member.id() + " is closed"));
            return true;
        }
        Slot best = null;
        int fewest = Integer.MAX_VALUE;
        for (Slot slot : slots) {
            MuxHandler mux = slot.mux;
            Channel channel = slot.channel;
            if (mux != null && channel != null && channel.isActive() && !mux.isGoingAway()) {
                int streams = mux.streamCount();
                if (streams < fewest) {
                    fewest = streams;
                    best = slot;
                }
            }
        }
        if (best == null) {
            return false;
        }
        MuxHandler mux = best.mux;
        best.channel.eventLoop().execute(() -> mux.openStream(open, initializer).addListener(opened -> {
            if (opened.isSuccess()) {
                result.trySuccess((StreamChannel) opened.getNow());
            } else {
                result.tryFailure(opened.cause());
            }
        }));
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
        closed = true;
        registry.remove(connectedGauge);
        for (PendingOpen pending; (pending = waiting.poll()) != null; ) {
            pending.result().tryFailure(new IllegalStateException("the pool to " + member.id() + " is closed"));
        }
        for (Slot slot : slots) {
            Channel channel = slot.channel;
            if (channel != null) {
                channel.close().syncUninterruptibly();
            }
        }
    }
}
