package dev.duet.chat;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/**
 * Last handler of a mux connection's pipeline: logs and counts why a connection failed. The connection itself is
 * closed by the mux handler; its streams go with it.
 */
@ChannelHandler.Sharable
final class MuxConnectionMonitor extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(MuxConnectionMonitor.class);
    private final MeterRegistry registry;

    MuxConnectionMonitor(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        String reason = cause instanceof IOException ? "io" : cause.getClass().getSimpleName();
        registry.counter("duet.chat.mux.connection.errors", "reason", reason).increment();
        if (cause instanceof IOException) {
            log.debug("mux connection {} failed: {}", ctx.channel(), cause.toString());
        } else {
            log.warn("closing mux connection {}: {}", ctx.channel(), cause.toString());
        }
    }
}
