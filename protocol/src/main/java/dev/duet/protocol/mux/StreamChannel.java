package dev.duet.protocol.mux;

import dev.duet.thrift.mux.Handover;
import dev.duet.thrift.mux.Open;
import dev.duet.thrift.mux.ResetCode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.AbstractChannel;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelMetadata;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.EventLoop;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.util.ReferenceCountUtil;

import java.net.SocketAddress;
import java.util.ArrayDeque;

/**
 * One mux stream as a Netty {@link io.netty.channel.Channel}: a child of the mux connection, registered on its event
 * loop, whose pipeline reads and writes the stream's raw bytes as {@link ByteBuf}s — so the handlers behind it are
 * exactly those of a direct client connection.
 *
 * <h3>Reference counting</h3>
 * Each inbound {@code ByteBuf} is a DATA payload handed to the pipeline, which owns it. Outbound buffers are sliced
 * (not copied) into DATA frames and released once the frames are written to the connection.
 *
 * <h3>Channel events</h3>
 * {@code channelActive} fires on registration. On a chat server the stream's first inbound bytes are the client's first
 * frame from {@code OPEN}. A peer {@code RESET} fires a {@link StreamResetEvent} user event, then closes the channel.
 * A peer {@code CLOSE} closes the channel once every byte received before it has been read.
 *
 * <h3>Writability and flow control</h3>
 * Outbound bytes are sent only within the stream's send window and the connection's; what does not fit waits in the
 * channel's outbound buffer until a {@code WINDOW_UPDATE} arrives. {@link #isWritable()} is false while the stream's
 * window is exhausted, while the connection is not writable, or while the outbound buffer is above its high water mark.
 * Inbound bytes are credited back to the peer only as the pipeline reads them, so a reader that stops ({@code autoRead}
 * off and no {@code read()}) stops only its own stream's sender.
 *
 * <h3>Closing</h3>
 * {@link #close()} sends {@code CLOSE} (unless the stream was reset) and drops what is still queued;
 * {@link #reset(ResetCode, String, long, String)} sends {@code RESET} instead. Closing the connection closes every
 * stream on it.
 *
 * <h3>Handover</h3>
 * A chat server's stream asks for a handover with {@link #requestHandover()} ({@code MOVE}); the presenter's stream
 * fires {@link StreamEvent#MOVE_REQUESTED} and answers with {@link #closeOutput()} once its last DATA went out. The
 * chat server's stream then fires {@link StreamEvent#INPUT_CLOSED} instead of closing, hands back what its pipeline did
 * not read ({@link #takeUnread()}) and ends with {@link #handOver(Handover)}; the presenter's stream fires a
 * {@link StreamHandoverEvent} after every byte before it, and closes.
 */
public final class StreamChannel extends AbstractChannel {
    private static final ChannelMetadata METADATA = new ChannelMetadata(false, 16);
    private static final int WINDOW_OPEN = 1;
    private static final int CONNECTION_WRITABLE = 2;
    /**
     * A stream's bytes come from its connection, never from a socket of its own: its config's allocator is unused, so
     * every stream shares this one (each new config sets its reads per wakeup to the metadata's 16, the same value).
     */
    private static final RecvByteBufAllocator NO_SOCKET_READS = new AdaptiveRecvByteBufAllocator();

    private final MuxHandler mux;
    private final int streamId;
    private final Open openFrame;
    /** Turning autoRead off also withdraws a read already requested: no DATA arriving later is delivered. */
    private final ChannelConfig config = new DefaultChannelConfig(this, NO_SOCKET_READS) {
        @Override
        protected void autoReadCleared() {
            readRequested = false;
        }
    };
    /** Small at first: an idle stream holds nothing, and a busy one grows it. */
    private final ArrayDeque<ByteBuf> inbound = new ArrayDeque<>(4);
    private final int initialReceiveWindow;
    private ByteBuf firstFrame;
    private int sendWindow;
    private int receiveWindow;
    private int unacknowledged;
    private boolean readRequested;
    private boolean delivering;
    private boolean inputClosed;
    private boolean reset;
    private boolean awaitingConnectionWindow;
    private boolean open = true;
    /** This side sent {@code MOVE}: the peer's {@code CLOSE} means "paused for the handover", not "gone". */
    private boolean moveRequested;
    /** {@code CLOSE} (plain or with a handover) already sent: closing sends nothing more. */
    private boolean outputClosed;
    /** The handover the peer ended the stream with, fired once the bytes before it are read. */
    private Handover peerHandover;

    StreamChannel(MuxHandler mux, int streamId, Open open, int sendWindow, int receiveWindow) {
        super(mux.channel(), new StreamChannelId(mux.channel().id(), streamId));
        this.mux = mux;
        this.streamId = streamId;
        this.openFrame = open;
        this.sendWindow = sendWindow;
        this.receiveWindow = receiveWindow;
        this.initialReceiveWindow = receiveWindow;
    }

    public int streamId() {
        return streamId;
    }

    /**
     * The {@code OPEN} the peer started this stream with: the verified identities, the ring epoch, the client's
     * address. Null on a stream this side opened.
     */
    public Open openFrame() {
        return openFrame;
    }

    /**
     * Whether this stream's session can be handed over: both ends announced stream handover in their {@code HELLO}s,
     * and the peer has not sent {@code GOAWAY} (a presenter going away opens no stream to resume the session on).
     */
    public boolean canHandOver() {
        return mux.handoverAgreed() && !mux.isGoneAwayByPeer();
    }

    /** The node id the peer announced in its {@code HELLO}: the chat server or presenter at the other end. */
    public String peerNodeId() {
        return mux.peerSettings().nodeId();
    }

    /** Largest frame the peer accepts, for a caller sizing a {@link Handover}. */
    public int peerMaxFrameSize() {
        return mux.peerSettings().maxFrameSize();
    }

    /** Chat server side: asks the presenter to pause the client for a handover ({@code MOVE}). On the event loop. */
    public void requestHandover() {
        if (open && !moveRequested && !reset) {
            moveRequested = true;
            mux.writeMove(streamId);
        }
    }

    /**
     * Presenter side: sends {@code CLOSE} once everything written before it has gone out as DATA, and keeps reading
     * what the peer sends. Any thread.
     */
    public void closeOutput() {
        EventLoop loop = eventLoop();
        if (!loop.inEventLoop()) {
            loop.execute(this::closeOutput);
            return;
        }
        afterQueuedWrites().addListener(written -> {
            if (written.isSuccess() && open && !reset && !outputClosed) {
                outputClosed = true;
                mux.writeClose(streamId);
            }
        });
    }

    /**
     * Chat server side: the client bytes received and not yet read by the pipeline, in order, taken out of the stream
     * (they return no credit: the stream ends). On the event loop.
     */
    public ByteBuf takeUnread() {
        ByteBuf unread = Unpooled.buffer(0);
        for (ByteBuf buf; (buf = inbound.poll()) != null; ) {
            unread.writeBytes(buf);
            buf.release();
        }
        firstFrame = null;
        return unread;
    }

    /**
     * Chat server side: ends the stream with {@code CLOSE} carrying {@code handover}, once everything written before it
     * has gone out as DATA. The future fails if the stream ends first. On the event loop.
     */
    public ChannelFuture handOver(Handover handover) {
        ChannelFuture written = afterQueuedWrites();
        written.addListener(done -> {
            if (done.isSuccess() && open && !reset && !outputClosed) {
                outputClosed = true;
                mux.writeHandover(streamId, handover);
                close();
            }
        });
        return written;
    }

    /**
     * Completes once everything already written has gone out as DATA. An empty buffer queued past the pipeline: through
     * it, a chat server's frame encoder would make a frame of it.
     */
    private ChannelFuture afterQueuedWrites() {
        ChannelPromise promise = newPromise();
        unsafe().write(Unpooled.EMPTY_BUFFER, promise);
        unsafe().flush();
        return promise;
    }

    /** Chat server side: accepts a resumed stream ({@code RESUMED}). On the event loop. */
    public void acceptResumed() {
        if (open && !reset) {
            mux.writeResumed(streamId);
        }
    }

    /** Aborts the stream with {@code code}: sends {@code RESET} and closes the channel. Any thread. */
    public void reset(ResetCode code, String owner, long ringEpoch, String message) {
        EventLoop loop = eventLoop();
        if (!loop.inEventLoop()) {
            loop.execute(() -> reset(code, owner, ringEpoch, message));
            return;
        }
        if (!open || reset) {
            return;
        }
        reset = true;
        mux.writeReset(streamId, code, owner, ringEpoch, message);
        close();
    }

    // ---- inbound, called by MuxHandler on the event loop ----

    /**
     * Queues the client's first frame from {@code OPEN}: not flow-controlled, since it came inside a control frame,
     * so reading it returns no credit either (the peer never spent any on it).
     */
    void enqueueFirstFrame(ByteBuf frame) {
        firstFrame = frame;
        inbound.add(frame);
        deliverIfRequested();
    }

    /** A DATA payload for this stream; returns false when it broke the receive window. */
    boolean onData(ByteBuf payload) {
        int size = payload.readableBytes();
        if (size > receiveWindow) {
            payload.release();
            return false;
        }
        receiveWindow -= size;
        if (!open || inputClosed) {
            payload.release();
            credit(size);
            return true;
        }
        inbound.add(payload);
        deliverIfRequested();
        return true;
    }

    void onPeerClose() {
        inputClosed = true;
        if (moveRequested && open) {
            pipeline().fireUserEventTriggered(StreamEvent.INPUT_CLOSED);
        } else {
            closeIfDrained();
        }
    }

    void onPeerHandover(Handover handover) {
        peerHandover = handover;
        inputClosed = true;
        closeIfDrained();
    }

    void onPeerMove() {
        if (open) {
            pipeline().fireUserEventTriggered(StreamEvent.MOVE_REQUESTED);
        }
    }

    void onPeerResumed() {
        if (open) {
            pipeline().fireUserEventTriggered(StreamEvent.RESUMED);
        }
    }

    void onPeerReset(StreamResetEvent event) {
        if (!open) {
            return;
        }
        reset = true;
        releaseInbound();
        pipeline().fireUserEventTriggered(event);
        close();
    }

    /** Returns false when the increment would overflow the window. */
    boolean onWindowUpdate(int increment) {
        if ((long) sendWindow + increment > Integer.MAX_VALUE) {
            return false;
        }
        boolean wasClosed = sendWindow <= 0;
        sendWindow += increment;
        if (wasClosed) {
            windowChanged();
        }
        return true;
    }

    void onConnectionWritabilityChanged(boolean writable) {
        ChannelOutboundBuffer buffer = unsafe().outboundBuffer();
        if (buffer != null) {
            buffer.setUserDefinedWritability(CONNECTION_WRITABLE, writable);
        }
    }

    /** Connection credit arrived after this stream had to wait for it. */
    void connectionWindowOpened() {
        awaitingConnectionWindow = false;
        windowChanged();
    }

    /** The connection window or the stream window opened: send what waits. */
    void windowChanged() {
        ChannelOutboundBuffer buffer = unsafe().outboundBuffer();
        if (buffer != null) {
            buffer.setUserDefinedWritability(WINDOW_OPEN, sendWindow > 0);
            if (!buffer.isEmpty()) {
                unsafe().flush();
            }
        }
    }

    private void deliverIfRequested() {
        if (readRequested && !delivering) {
            deliver();
        }
    }

    private void deliver() {
        delivering = true;
        try {
            while (readRequested && !inbound.isEmpty() && open) {
                readRequested = false;
                for (ByteBuf buf; (buf = inbound.poll()) != null; ) {
                    if (buf == firstFrame) {
                        firstFrame = null;
                    } else {
                        credit(buf.readableBytes());
                    }
                    pipeline().fireChannelRead(buf);
                }
                pipeline().fireChannelReadComplete();
            }
        } finally {
            delivering = false;
        }
        closeIfDrained();
    }

    private void credit(int consumed) {
        unacknowledged += consumed;
        if (unacknowledged >= initialReceiveWindow / 2) {
            receiveWindow += unacknowledged;
            mux.writeWindowUpdate(streamId, unacknowledged);
            unacknowledged = 0;
        }
    }

    private void closeIfDrained() {
        if (inputClosed && inbound.isEmpty() && open && !moveRequested) {
            if (peerHandover != null) {
                pipeline().fireUserEventTriggered(new StreamHandoverEvent(peerHandover));
                peerHandover = null;
            }
            close();
        }
    }

    private void releaseInbound() {
        firstFrame = null;
        for (ByteBuf buf; (buf = inbound.poll()) != null; ) {
            buf.release();
        }
    }

    // ---- Channel ----

    @Override
    protected void doBeginRead() {
        readRequested = true;
        if (!delivering) {
            deliver();
        }
    }

    @Override
    protected void doWrite(ChannelOutboundBuffer in) {
        boolean wrote = false;
        for (Object msg; (msg = in.current()) != null; ) {
            ByteBuf buf = (ByteBuf) msg;
            int readable = buf.readableBytes();
            if (readable == 0) {
                in.remove();
                continue;
            }
            int allowed = Math.min(Math.min(sendWindow, mux.connectionSendWindow()), mux.maxDataPayload());
            if (allowed <= 0) {
                if (sendWindow > 0 && !awaitingConnectionWindow) {
                    awaitingConnectionWindow = true;
                    mux.awaitConnectionWindow(this);
                }
                break;
            }
            int size = Math.min(allowed, readable);
            mux.writeData(new DataFrame(streamId, buf.retainedSlice(buf.readerIndex(), size)));
            sendWindow -= size;
            mux.consumeConnectionWindow(size);
            in.removeBytes(size);
            wrote = true;
        }
        in.setUserDefinedWritability(WINDOW_OPEN, sendWindow > 0);
        if (wrote) {
            mux.flush();
        }
    }

    @Override
    protected Object filterOutboundMessage(Object msg) {
        if (msg instanceof ByteBuf) {
            return msg;
        }
        ReferenceCountUtil.release(msg);
        throw new UnsupportedOperationException("a stream carries ByteBufs only, not " + msg.getClass().getName());
    }

    @Override
    protected void doClose() {
        if (!open) {
            return;
        }
        open = false;
        releaseInbound();
        if (!reset && !outputClosed) {
            mux.writeClose(streamId);
        }
        mux.streamClosed(this);
    }

    @Override
    protected void doDisconnect() {
        doClose();
    }

    @Override
    protected void doBind(SocketAddress localAddress) {
        throw new UnsupportedOperationException("a stream cannot be bound");
    }

    @Override
    protected void doRegister() {
        // Nothing to register with: the connection's channel does the I/O.
    }

    @Override
    protected boolean isCompatible(EventLoop loop) {
        return true;
    }

    @Override
    protected SocketAddress localAddress0() {
        return parent().localAddress();
    }

    @Override
    protected SocketAddress remoteAddress0() {
        return parent().remoteAddress();
    }

    @Override
    protected AbstractUnsafe newUnsafe() {
        return new StreamUnsafe();
    }

    @Override
    public ChannelConfig config() {
        return config;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public boolean isActive() {
        return open && isRegistered();
    }

    @Override
    public ChannelMetadata metadata() {
        return METADATA;
    }

    @Override
    public String toString() {
        return "StreamChannel(" + streamId + " on " + parent() + ")";
    }

    private final class StreamUnsafe extends AbstractUnsafe {
        @Override
        public void connect(SocketAddress remoteAddress, SocketAddress localAddress, ChannelPromise promise) {
            safeSetFailure(promise, new UnsupportedOperationException("a stream is opened by its connection"));
        }
    }
}
