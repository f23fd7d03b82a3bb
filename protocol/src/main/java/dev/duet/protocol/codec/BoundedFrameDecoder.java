package dev.duet.protocol.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.util.concurrent.Future;

import java.util.concurrent.TimeUnit;

/**
 * A 4-byte big-endian length-prefixed frame decoder bounded in size and in time.
 *
 * <h3>Size</h3>
 * A length above {@code maxFrameSize} fails at once with a {@link TooLongFrameException}, before any of the frame is
 * buffered.
 *
 * <h3>Time</h3>
 * Once part of a frame has arrived, the rest must follow within {@code frameTimeoutMillis}; otherwise a
 * {@link FrameTimeoutException} is fired. This bounds how long a peer can pin a partial frame in our memory by
 * trickling bytes. The clock does not run while {@code autoRead} is off, since then it is us, not the peer, who stopped
 * the bytes. Idle time between frames is not this decoder's business (an idle handler's is).
 *
 * <h3>After an error</h3>
 * A length-prefixed stream cannot be resynchronised, so after the first error the decoder fails for good: it discards
 * (and releases) every later byte and decodes nothing more. The handler that sees the exception closes the connection or
 * stream, logging the reason and counting it.
 *
 * <h3>Output</h3>
 * Subclasses receive each frame body (the prefix stripped) as a retained slice of the inbound buffer, and turn it into
 * their frame type in {@link #decodeFrame}; they own that slice.
 */
public abstract class BoundedFrameDecoder extends LengthFieldBasedFrameDecoder {
    public static final int LENGTH_PREFIX_SIZE = 4;

    private final int maxFrameSize;
    private final long frameTimeoutMillis;
    private Future<?> frameTimer;
    private long framesDecoded;
    private long framesDecodedWhenArmed;
    private boolean failed;

    protected BoundedFrameDecoder(int maxFrameSize, long frameTimeoutMillis) {
        super(LENGTH_PREFIX_SIZE + maxFrameSize, 0, LENGTH_PREFIX_SIZE, 0, LENGTH_PREFIX_SIZE, true);
        if (maxFrameSize <= 0) {
            throw new IllegalArgumentException("maxFrameSize must be positive: " + maxFrameSize);
        }
        if (frameTimeoutMillis <= 0) {
            throw new IllegalArgumentException("frameTimeoutMillis must be positive: " + frameTimeoutMillis);
        }
        this.maxFrameSize = maxFrameSize;
        this.frameTimeoutMillis = frameTimeoutMillis;
    }

    public int maxFrameSize() {
        return maxFrameSize;
    }

    /**
     * The bytes received after the last whole frame (the start of one still arriving), not consumed: for a session
     * handed over elsewhere. The decoder's own buffer, valid until the next read.
     */
    public ByteBuf partialFrame() {
        return internalBuffer();
    }

    /** Turns one frame body into a decoded message. Owns {@code body} and must release it (or pass it on). */
    protected abstract Object decodeFrame(ChannelHandlerContext ctx, ByteBuf body) throws Exception;

    @Override
    protected final Object decode(ChannelHandlerContext ctx, ByteBuf in) throws Exception {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return null;
        }
        ByteBuf body;
        try {
            body = (ByteBuf) super.decode(ctx, in);
        } catch (TooLongFrameException e) {
            fail(in);
            throw new TooLongFrameException("frame of more than " + maxFrameSize + " bytes refused", e);
        } catch (Exception e) {
            fail(in);
            throw e;
        }
        if (body == null) {
            return null;
        }
        framesDecoded++;
        try {
            return decodeFrame(ctx, body);
        } catch (Exception e) {
            fail(in);
            throw e;
        }
    }

    private void fail(ByteBuf in) {
        failed = true;
        in.skipBytes(in.readableBytes());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        super.channelRead(ctx, msg);
        if (failed || actualReadableBytes() == 0) {
            cancelTimer();
        } else if (frameTimer == null) {
            armTimer(ctx);
        }
    }

    private void armTimer(ChannelHandlerContext ctx) {
        framesDecodedWhenArmed = framesDecoded;
        frameTimer = ctx.executor().schedule(() -> onTimer(ctx), frameTimeoutMillis, TimeUnit.MILLISECONDS);
    }

    private void onTimer(ChannelHandlerContext ctx) {
        frameTimer = null;
        if (failed || actualReadableBytes() == 0 || ctx.isRemoved()) {
            return;
        }
        boolean progressed = framesDecoded != framesDecodedWhenArmed;
        if (progressed || !ctx.channel().config().isAutoRead()) {
            armTimer(ctx);
            return;
        }
        failed = true;
        int buffered = actualReadableBytes();
        internalBuffer().skipBytes(buffered);
        ctx.fireExceptionCaught(new FrameTimeoutException(
                "frame incomplete after " + frameTimeoutMillis + " ms (" + buffered + " bytes buffered)"));
    }

    private void cancelTimer() {
        if (frameTimer != null) {
            frameTimer.cancel(false);
            frameTimer = null;
        }
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) throws Exception {
        cancelTimer();
        super.handlerRemoved0(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancelTimer();
        super.channelInactive(ctx);
    }
}
