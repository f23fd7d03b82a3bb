package dev.duet.protocol.mux;

import dev.duet.thrift.mux.Close;
import dev.duet.thrift.mux.GoAway;
import dev.duet.thrift.mux.Handover;
import dev.duet.thrift.mux.Hello;
import dev.duet.thrift.mux.Move;
import dev.duet.thrift.mux.Open;
import dev.duet.thrift.mux.Ping;
import dev.duet.thrift.mux.Reset;
import dev.duet.thrift.mux.ResetCode;
import dev.duet.thrift.mux.Resumed;
import dev.duet.thrift.mux.WindowUpdate;
import dev.duet.thrift.mux.muxConstants;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.collection.IntObjectMap;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * One end of a mux connection, after {@link MuxFrameDecoder} and {@link MuxFrameEncoder}: turns streams into
 * {@link StreamChannel} children, as Netty's {@code Http2MultiplexHandler} does for HTTP/2.
 *
 * <h3>Roles</h3>
 * The {@linkplain Role#OPENER opener} (a presenter) starts streams with {@link #openStream}; the
 * {@linkplain Role#ACCEPTOR acceptor} (a chat server) gets a new child for each {@code OPEN}, its pipeline built by the
 * initializer given here, and the client's first frame as its first inbound bytes.
 *
 * <h3>Session</h3>
 * Each side sends {@code HELLO} when the connection becomes active; nothing but {@code HELLO} may come first, and a
 * version other than ours ends the connection. {@link #ready()} completes with the peer's settings. {@code PING}s are
 * answered at once. {@link #goAway(String)} refuses streams opened after it ({@code RESET(OVERLOAD)}, a NACK); a
 * received {@code GOAWAY} makes {@link #isGoingAway()} true, stops {@link #openStream}, and travels on as a user event.
 * {@code MOVE}, {@code RESUMED} and a {@code CLOSE} with a handover go to their stream (see {@link StreamChannel});
 * only the acceptor may send them.
 *
 * <h3>Flow control</h3>
 * Send windows live in the streams and here (the connection's). Receive credit for the connection is returned as DATA
 * arrives — memory is bounded by the stream windows — and for a stream as its pipeline reads: one stalled reader never
 * holds up the others.
 *
 * <h3>Errors</h3>
 * A broken rule that concerns one stream resets that stream; one that concerns the connection (bad {@code HELLO},
 * window overflow, stream ids going backwards, undecodable frames) sends {@code GOAWAY}, fires a
 * {@link MuxProtocolException} (or the decoder's exception) down the pipeline for logging and metrics, and closes the
 * connection, which closes all its streams. Exceptions inside a stream's pipeline stay in that stream.
 */
public final class MuxHandler extends ChannelDuplexHandler {
    /** Room in an {@code OPEN} frame for everything but the first frame: ids, address, TLS facts, field headers. */
    private static final int OPEN_OVERHEAD_BYTES = 2048;

    public enum Role {
        /** Opens streams: the presenter. */
        OPENER,
        /** Accepts streams: the chat server. */
        ACCEPTOR
    }

    private final Role role;
    private final MuxSettings local;
    private final ChannelHandler acceptedStreamInitializer;
    private final IntObjectMap<StreamChannel> streams = new IntObjectHashMap<>();
    private final ArrayDeque<StreamChannel> awaitingConnectionWindow = new ArrayDeque<>();
    private ChannelHandlerContext ctx;
    private Promise<MuxSettings> ready;
    private MuxSettings peer;
    private int connectionSendWindow;
    private int connectionReceiveWindow;
    private int connectionUnacknowledged;
    private int lastStreamId;
    private int nextStreamId = 1;
    private boolean helloSent;
    private boolean goAwaySent;
    private boolean goAwayReceived;

    /**
     * @param acceptedStreamInitializer builds the pipeline of each accepted stream (acceptor only; may be null for an
     *                                  opener)
     */
    public MuxHandler(Role role, MuxSettings local, ChannelHandler acceptedStreamInitializer) {
        if (role == Role.ACCEPTOR && acceptedStreamInitializer == null) {
            throw new IllegalArgumentException("an acceptor needs a stream initializer");
        }
        this.role = role;
        this.local = local;
        this.acceptedStreamInitializer = acceptedStreamInitializer;
        this.connectionReceiveWindow = local.initialConnectionWindow();
    }

    // ---- public API, on the event loop ----

    /** Completes with the peer's settings once its {@code HELLO} arrived; fails if the connection ends first. */
    public Future<MuxSettings> ready() {
        return ready;
    }

    public int streamCount() {
        return streams.size();
    }

    public boolean isGoingAway() {
        return goAwayReceived || goAwaySent;
    }

    /** Whether the peer sent {@code GOAWAY}: it opens no more streams here. */
    boolean isGoneAwayByPeer() {
        return goAwayReceived;
    }

    /** Whether both HELLOs announced stream handover. */
    public boolean handoverAgreed() {
        return local.streamHandover() && peer != null && peer.streamHandover();
    }

    /** The peer's settings, or null before its {@code HELLO}. */
    public MuxSettings peerSettings() {
        return peer;
    }

    /**
     * Opens a stream (opener only): sends {@code open} with a fresh stream id, then registers a child whose pipeline
     * {@code initializer} builds. Must be called on the connection's event loop, after {@link #ready()}.
     */
    public Future<StreamChannel> openStream(Open open, ChannelHandler initializer) {
        Promise<StreamChannel> opened = ctx.executor().newPromise();
        if (role != Role.OPENER) {
            return opened.setFailure(new IllegalStateException("only the opener opens streams"));
        }
        if (peer == null || goAwayReceived || goAwaySent || !ctx.channel().isActive() || nextStreamId <= 0) {
            return opened.setFailure(new IllegalStateException("connection is not ready for new streams"));
        }
        if (streams.size() >= peer.maxConcurrentStreams()) {
            return opened.setFailure(new IllegalStateException("the peer takes at most "
                    + peer.maxConcurrentStreams() + " streams at once"));
        }
        // An OPEN too large for the peer would fail in the encoder and take the whole connection down with it.
        // getFirstFrame() hands out the frame's own array; bufferForFirstFrame() would copy it.
        int firstFrameBytes = open.getFirstFrame().length;
        if (firstFrameBytes + OPEN_OVERHEAD_BYTES > peer.maxFrameSize()) {
            return opened.setFailure(new IllegalArgumentException("a first frame of " + firstFrameBytes
                    + " bytes does not fit in an OPEN"));
        }
        int streamId = nextStreamId++;
        lastStreamId = streamId;
        open.setStreamId(streamId);
        ctx.write(open, ctx.voidPromise());
        // The opener keeps nothing of the OPEN it sent: a relayed client would hold it for its whole life.
        StreamChannel child = newStream(streamId, null, initializer);
        ctx.channel().eventLoop().register(child).addListener((ChannelFutureListener) registered -> {
            if (registered.isSuccess()) {
                opened.setSuccess(child);
            } else {
                child.reset(ResetCode.INTERNAL, null, 0, "could not register the stream");
                opened.setFailure(registered.cause());
            }
        });
        ctx.flush();
        return opened;
    }

    /** Refuses new streams from now on and tells the peer; open streams go on. */
    public ChannelFuture goAway(String reason) {
        goAwaySent = true;
        return ctx.writeAndFlush(new GoAway(lastStreamId).setReason(reason));
    }

    /** Sends a {@code PING}; the answer travels on down the pipeline as a {@link Ping} with {@code ack} set. */
    public ChannelFuture ping(long opaque) {
        return ctx.writeAndFlush(new Ping(opaque, false));
    }

    // ---- for StreamChannel ----

    Channel channel() {
        return ctx.channel();
    }

    int connectionSendWindow() {
        return connectionSendWindow;
    }

    int maxDataPayload() {
        return MuxFrames.maxDataPayload(peer.maxFrameSize());
    }

    void consumeConnectionWindow(int size) {
        connectionSendWindow -= size;
    }

    /** Queues {@code stream} (once: the stream keeps the flag) to be flushed when connection credit arrives. */
    void awaitConnectionWindow(StreamChannel stream) {
        awaitingConnectionWindow.add(stream);
    }

    void writeData(DataFrame frame) {
        ctx.write(frame, ctx.voidPromise());
    }

    void writeWindowUpdate(int streamId, int increment) {
        ctx.writeAndFlush(new WindowUpdate(streamId, increment), ctx.voidPromise());
    }

    void writeClose(int streamId) {
        if (ctx.channel().isActive()) {
            ctx.writeAndFlush(new Close(streamId), ctx.voidPromise());
        }
    }

    void writeReset(int streamId, ResetCode code, String owner, long ringEpoch, String message) {
        if (!ctx.channel().isActive()) {
            return;
        }
        Reset reset = new Reset(streamId, code);
        if (owner != null) {
            reset.setOwner(owner).setRingEpoch(ringEpoch);
        }
        if (message != null) {
            reset.setMessage(message);
        }
        ctx.writeAndFlush(reset, ctx.voidPromise());
    }

    void writeMove(int streamId) {
        if (ctx.channel().isActive()) {
            ctx.writeAndFlush(new Move(streamId), ctx.voidPromise());
        }
    }

    void writeHandover(int streamId, Handover handover) {
        if (ctx.channel().isActive()) {
            ctx.writeAndFlush(new Close(streamId).setHandover(handover), ctx.voidPromise());
        }
    }

    void writeResumed(int streamId) {
        if (ctx.channel().isActive()) {
            ctx.writeAndFlush(new Resumed(streamId), ctx.voidPromise());
        }
    }

    void flush() {
        ctx.flush();
    }

    void streamClosed(StreamChannel stream) {
        streams.remove(stream.streamId());
        awaitingConnectionWindow.remove(stream);
    }

    // ---- ChannelHandler ----

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.ready = ctx.executor().newPromise();
        if (ctx.channel().isActive()) {
            sendHello();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        sendHello();
        ctx.fireChannelActive();
    }

    private void sendHello() {
        if (!helloSent) {
            helloSent = true;
            ctx.writeAndFlush(local.toHello(), ctx.voidPromise());
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (peer == null && !(msg instanceof Hello)) {
            ReferenceCountUtil.release(msg);
            connectionError("expected HELLO first, got " + msg.getClass().getSimpleName());
        } else if (msg instanceof DataFrame data) {
            onData(data);
        } else if (msg instanceof Hello hello) {
            onHello(hello);
        } else if (msg instanceof Open open) {
            onOpen(open);
        } else if (msg instanceof Close close) {
            if (close.isSetHandover() && role != Role.OPENER) {
                connectionError("CLOSE with a handover sent to the acceptor");
                return;
            }
            StreamChannel stream = streams.get(close.getStreamId());
            if (stream != null && close.isSetHandover()) {
                stream.onPeerHandover(close.getHandover());
            } else if (stream != null) {
                stream.onPeerClose();
            }
        } else if (msg instanceof Move move) {
            StreamChannel stream = openerStream("MOVE", move.getStreamId());
            if (stream != null) {
                stream.onPeerMove();
            }
        } else if (msg instanceof Resumed resumed) {
            StreamChannel stream = openerStream("RESUMED", resumed.getStreamId());
            if (stream != null) {
                stream.onPeerResumed();
            }
        } else if (msg instanceof Reset reset) {
            StreamChannel stream = streams.get(reset.getStreamId());
            if (stream != null) {
                stream.onPeerReset(StreamResetEvent.of(reset));
            }
        } else if (msg instanceof WindowUpdate update) {
            onWindowUpdate(update);
        } else if (msg instanceof Ping ping) {
            onPing(ping);
        } else if (msg instanceof GoAway goAway) {
            goAwayReceived = true;
            ctx.fireUserEventTriggered(goAway);
        } else {
            ctx.fireChannelRead(msg);
        }
    }

    /** The stream a frame only an acceptor sends is for; null (after a connection error if it came to one) if none. */
    private StreamChannel openerStream(String kind, int streamId) {
        if (role != Role.OPENER) {
            connectionError(kind + " sent to the acceptor");
            return null;
        }
        return streams.get(streamId);
    }

    private void onHello(Hello hello) {
        if (peer != null) {
            connectionError("second HELLO");
            return;
        }
        if (hello.getVersion() != muxConstants.PROTOCOL_VERSION) {
            connectionError("peer speaks mux version " + hello.getVersion() + ", we speak "
                    + muxConstants.PROTOCOL_VERSION);
            return;
        }
        try {
            peer = MuxSettings.fromHello(hello);
        } catch (IllegalArgumentException e) {
            connectionError("bad HELLO: " + e.getMessage());
            return;
        }
        connectionSendWindow = peer.initialConnectionWindow();
        MuxFrameEncoder encoder = ctx.pipeline().get(MuxFrameEncoder.class);
        if (encoder != null) {
            encoder.maxFrameSize(peer.maxFrameSize());
        }
        ready.trySuccess(peer);
    }

    private void onOpen(Open open) {
        int streamId = open.getStreamId();
        if (role != Role.ACCEPTOR) {
            connectionError("OPEN sent to the opener");
            return;
        }
        if (streamId <= lastStreamId) {
            connectionError("stream id " + streamId + " is not above " + lastStreamId);
            return;
        }
        lastStreamId = streamId;
        if (goAwaySent) {
            writeReset(streamId, ResetCode.OVERLOAD, null, 0, "draining");
            return;
        }
        if (streams.size() >= local.maxConcurrentStreams()) {
            writeReset(streamId, ResetCode.OVERLOAD, null, 0, "at most " + local.maxConcurrentStreams()
                    + " streams at once");
            return;
        }
        StreamChannel child = newStream(streamId, open, acceptedStreamInitializer);
        ctx.channel().eventLoop().register(child).addListener((ChannelFutureListener) registered -> {
            if (registered.isSuccess()) {
                child.enqueueFirstFrame(Unpooled.wrappedBuffer(open.bufferForFirstFrame()));
            } else {
                child.reset(ResetCode.INTERNAL, null, 0, "could not register the stream");
            }
        });
    }

    private StreamChannel newStream(int streamId, Open open, ChannelHandler initializer) {
        StreamChannel child = new StreamChannel(this, streamId, open, peer.initialStreamWindow(),
                local.initialStreamWindow());
        child.pipeline().addLast(initializer);
        streams.put(streamId, child);
        return child;
    }

    private void onData(DataFrame data) {
        int size = data.content().readableBytes();
        connectionReceiveWindow -= size;
        if (connectionReceiveWindow < 0) {
            data.release();
            connectionError("connection receive window exceeded");
            return;
        }
        connectionUnacknowledged += size;
        if (connectionUnacknowledged >= local.initialConnectionWindow() / 2) {
            connectionReceiveWindow += connectionUnacknowledged;
            writeWindowUpdate(0, connectionUnacknowledged);
            connectionUnacknowledged = 0;
        }
        StreamChannel stream = streams.get(data.streamId());
        if (stream == null) {
            data.release();
            if (data.streamId() > lastStreamId) {
                writeReset(data.streamId(), ResetCode.PROTOCOL_ERROR, null, 0, "DATA for a stream never opened");
            }
            return;
        }
        if (!stream.onData(data.content())) {
            stream.reset(ResetCode.PROTOCOL_ERROR, null, 0, "stream receive window exceeded");
        }
    }

    private void onWindowUpdate(WindowUpdate update) {
        int increment = update.getIncrement();
        if (increment <= 0) {
            connectionError("WINDOW_UPDATE with increment " + increment);
            return;
        }
        if (update.getStreamId() != 0) {
            StreamChannel stream = streams.get(update.getStreamId());
            if (stream != null && !stream.onWindowUpdate(increment)) {
                connectionError("stream " + update.getStreamId() + " window overflow");
            }
            return;
        }
        if ((long) connectionSendWindow + increment > Integer.MAX_VALUE) {
            connectionError("connection window overflow");
            return;
        }
        connectionSendWindow += increment;
        List<StreamChannel> waiting = new ArrayList<>(awaitingConnectionWindow);
        awaitingConnectionWindow.clear();
        for (StreamChannel stream : waiting) {
            stream.connectionWindowOpened();
        }
    }

    private void onPing(Ping ping) {
        if (ping.isAck()) {
            ctx.fireChannelRead(ping);
        } else {
            ctx.writeAndFlush(new Ping(ping.getOpaque(), true), ctx.voidPromise());
        }
    }

    private void connectionError(String reason) {
        if (ctx.channel().isActive()) {
            ctx.writeAndFlush(new GoAway(lastStreamId).setReason(reason)).addListener(ChannelFutureListener.CLOSE);
        }
        ctx.fireExceptionCaught(new MuxProtocolException(reason));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.fireExceptionCaught(cause);
        ctx.close();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        boolean writable = ctx.channel().isWritable();
        for (StreamChannel stream : new ArrayList<>(streams.values())) {
            stream.onConnectionWritabilityChanged(writable);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        ready.tryFailure(new IllegalStateException("mux connection closed"));
        for (StreamChannel stream : new ArrayList<>(streams.values())) {
            stream.close();
        }
        ctx.fireChannelInactive();
    }
}
