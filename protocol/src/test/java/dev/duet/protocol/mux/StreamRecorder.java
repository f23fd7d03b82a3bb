package dev.duet.protocol.mux;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelInboundHandlerAdapter;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/** Collects what a stream's pipeline receives: bytes, user events, and whether it closed. */
final class StreamRecorder extends ChannelInboundHandlerAdapter {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    final List<Object> events = new ArrayList<>();
    volatile boolean active;
    volatile boolean inactive;
    volatile StreamChannel channel;
    private final boolean autoRead;

    StreamRecorder() {
        this(true);
    }

    /** With {@code autoRead} false the stream reads only when asked to, from the start. */
    StreamRecorder(boolean autoRead) {
        this.autoRead = autoRead;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        ctx.channel().config().setAutoRead(autoRead);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        channel = (StreamChannel) ctx.channel();
        active = true;
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf buf = (ByteBuf) msg;
        bytes.writeBytes(ByteBufUtil.getBytes(buf));
        buf.release();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        events.add(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        inactive = true;
    }

    /** An initializer for accepted streams that gives each a recorder, added to {@code accepted}. */
    static ChannelHandler recordingInto(List<StreamRecorder> accepted) {
        return new ChannelInitializer<StreamChannel>() {
            @Override
            protected void initChannel(StreamChannel channel) {
                StreamRecorder recorder = new StreamRecorder();
                accepted.add(recorder);
                channel.pipeline().addLast(recorder);
            }
        };
    }

    int received() {
        return bytes.size();
    }
}
