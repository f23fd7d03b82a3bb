package dev.duet.protocol.mux;

import dev.duet.thrift.mux.Ping;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Judges a mux connection by its {@code PING}s, the way Finagle Mux's threshold failure detector does: one
 * {@code PING} every {@code interval}; a connection whose {@code PING} stays unanswered for longer than
 * {@code threshold} is <em>sick</em>, and this handler closes it — its streams end, their clients are routed anew,
 * and its pool connects a replacement. It catches what TCP does not: a peer that still holds the connection but
 * answers nothing (a black-holed link, a stopped process).
 *
 * <p>Goes after the {@link MuxHandler}, whose {@code PING} answers it consumes. Starts once the handshake is done.
 */
public final class MuxFailureDetector extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(MuxFailureDetector.class);

    private final long intervalNanos;
    private final long thresholdNanos;
    private ScheduledFuture<?> ticks;
    private long outstanding = -1;
    private long sentNanos;

    public MuxFailureDetector(Duration interval, Duration threshold) {
        if (interval.isNegative() || interval.isZero() || threshold.isNegative() || threshold.isZero()) {
            throw new IllegalArgumentException("interval and threshold must be positive");
        }
        this.intervalNanos = interval.toNanos();
        this.thresholdNanos = threshold.toNanos();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        MuxHandler mux = ctx.pipeline().get(MuxHandler.class);
        mux.ready().addListener(ready -> {
            if (ready.isSuccess() && ctx.channel().isActive()) {
                long tick = Math.max(TimeUnit.MILLISECONDS.toNanos(10), Math.min(intervalNanos, thresholdNanos) / 4);
                ticks = ctx.executor().scheduleAtFixedRate(() -> tick(ctx, mux), 0, tick, TimeUnit.NANOSECONDS);
            }
        });
    }

    private void tick(ChannelHandlerContext ctx, MuxHandler mux) {
        long now = System.nanoTime();
        if (outstanding >= 0) {
            if (now - sentNanos > thresholdNanos) {
                log.warn("mux connection {} answered no PING for {} ms: closing it as sick", ctx.channel(),
                        TimeUnit.NANOSECONDS.toMillis(now - sentNanos));
                ctx.fireUserEventTriggered(MuxConnectionSick.INSTANCE);
                ctx.close();
            }
        } else if (now - sentNanos >= intervalNanos) {
            outstanding = now;
            sentNanos = now;
            mux.ping(now);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Ping ping && ping.isAck()) {
            if (ping.getOpaque() == outstanding) {
                outstanding = -1;
            }
            return;
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (ticks != null) {
            ticks.cancel(false);
        }
        ctx.fireChannelInactive();
    }

    /** Fired down the pipeline just before a sick connection is closed. */
    public enum MuxConnectionSick {
        INSTANCE
    }
}
