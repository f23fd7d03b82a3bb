package dev.duet.client;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * {@link Transport#AUTO}: QUIC first, TCP when UDP does not get through. QUIC gets a head start; if it is not up by
 * then TCP starts too, and the first one up carries the session (a TCP attempt still under way is cancelled; a QUIC
 * one goes on, to learn whether UDP gets through, and is closed when it comes up). A QUIC attempt that failed where
 * TCP worked means UDP is blocked on this network: the next connects go straight to TCP for
 * {@link #QUIC_BLOCKED_MILLIS}, then QUIC is tried again. A 0-RTT session is handed out before its handshake
 * completed only while this client saw a QUIC handshake complete within {@link #QUIC_BLOCKED_MILLIS}, so a cached
 * session cannot hold up the fallback on a network that drops UDP (a first connect of a new client takes the round
 * trip).
 */
final class FallbackConnector implements Connector {
    static final long QUIC_HEAD_START_MILLIS = 300;
    static final long QUIC_BLOCKED_MILLIS = TimeUnit.MINUTES.toMillis(5);
    private static final Logger log = LoggerFactory.getLogger(FallbackConnector.class);

    private final EventLoopGroup group;
    private final QuicConnector quic;
    private final TcpConnector tcp;
    private volatile long quicBlockedUntilNanos = System.nanoTime();
    private volatile long quicWorkedUntilNanos = System.nanoTime();

    FallbackConnector(EventLoopGroup group, QuicConnector quic, TcpConnector tcp) {
        this.group = group;
        this.quic = quic;
        this.tcp = tcp;
    }

    @Override
    public Future<Channel> open(InetSocketAddress target) {
        if (System.nanoTime() - quicBlockedUntilNanos < 0) {
            return tcp.open(target);
        }
        Attempt attempt = new Attempt(target, group.next().newPromise());
        attempt.start();
        return attempt.ready;
    }

    @Override
    public boolean inEarlyData(Channel channel) {
        return quic.inEarlyData(channel);
    }

    @Override
    public long keepAliveMillis(Channel channel) {
        return quic.keepAliveMillis(channel);
    }

    /** One connect: QUIC, and TCP after the head start or as soon as QUIC failed. */
    private final class Attempt {
        final InetSocketAddress target;
        final Promise<Channel> ready;
        ScheduledFuture<?> headStart;
        Future<Channel> overTcp;
        Throwable quicFailure;

        Attempt(InetSocketAddress target, Promise<Channel> ready) {
            this.target = target;
            this.ready = ready;
        }

        void start() {
            headStart = group.schedule(this::startTcp, QUIC_HEAD_START_MILLIS, TimeUnit.MILLISECONDS);
            boolean early = System.nanoTime() - quicWorkedUntilNanos < 0;
            quic.open(target, early).addListener(done -> {
                if (done.isSuccess()) {
                    quicUp((Channel) done.getNow());
                } else {
                    quicFailed(done.cause());
                }
            });
        }

        private synchronized void quicUp(Channel channel) {
            // A 0-RTT stream is handed out before the server answered: only a completed handshake shows QUIC works.
            if (!quic.inEarlyData(channel)) {
                quicWorkedUntilNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(QUIC_BLOCKED_MILLIS);
            }
            if (keep(channel) && overTcp != null) {
                overTcp.cancel(false);
            }
        }

        private synchronized void quicFailed(Throwable cause) {
            quicFailure = cause;
            if (overTcp != null && overTcp.isSuccess()) {
                blockQuic(cause);
            } else if (overTcp == null) {
                startTcp();
            } else if (overTcp.isDone()) {
                ready.tryFailure(cause);
            }
        }

        private synchronized void startTcp() {
            if (overTcp != null || ready.isDone()) {
                return;
            }
            overTcp = tcp.open(target);
            overTcp.addListener(done -> tcpDone(done));
        }

        private synchronized void tcpDone(Future<?> done) {
            if (done.isSuccess()) {
                keep((Channel) done.getNow());
                if (quicFailure != null) {
                    blockQuic(quicFailure);
                }
            } else if (quicFailure != null) {
                ready.tryFailure(done.cause());
            }
        }

        /** Hands {@code channel} out if it is the first up, else closes it; returns whether it was. */
        private synchronized boolean keep(Channel channel) {
            if (ready.trySuccess(channel)) {
                headStart.cancel(false);
                return true;
            }
            channel.close();
            return false;
        }

        private void blockQuic(Throwable cause) {
            quicBlockedUntilNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(QUIC_BLOCKED_MILLIS);
            log.info("QUIC to {} failed where TCP worked ({}): TCP only for the next {} s", target, cause.toString(),
                    TimeUnit.MILLISECONDS.toSeconds(QUIC_BLOCKED_MILLIS));
        }
    }
}
