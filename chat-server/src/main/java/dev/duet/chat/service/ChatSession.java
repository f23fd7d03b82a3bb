package dev.duet.chat.service;

import dev.duet.chat.store.ConcurrentAppendException;
import dev.duet.chat.store.OwnershipLostException;
import dev.duet.protocol.client.ClientFrameDecoder;
import dev.duet.protocol.client.MalformedMessageException;
import dev.duet.protocol.client.MessageCatalog;
import dev.duet.protocol.client.ThriftMessage;
import dev.duet.protocol.logging.RateLimitedLog;
import dev.duet.protocol.client.UnknownMethodException;
import dev.duet.protocol.codec.FrameTimeoutException;
import dev.duet.protocol.mux.StreamChannel;
import dev.duet.protocol.mux.StreamEvent;
import dev.duet.ring.Member;
import dev.duet.thrift.chat.ChatError;
import dev.duet.thrift.chat.ChatService;
import dev.duet.thrift.chat.ClientEvents;
import dev.duet.thrift.chat.ErrorCode;
import dev.duet.thrift.chat.Message;
import dev.duet.thrift.chat.SessionEndReason;
import dev.duet.thrift.chat.TokenClaims;
import dev.duet.thrift.mux.Handover;
import dev.duet.thrift.mux.Open;
import dev.duet.thrift.mux.ResetCode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.util.concurrent.ScheduledFuture;
import org.apache.thrift.TApplicationException;
import org.apache.thrift.TBase;
import org.apache.thrift.TFieldIdEnum;
import org.apache.thrift.protocol.TMessageType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * One client's session, at the end of the client pipeline, whether the client came through a presenter (the channel
 * is a {@link StreamChannel}) or connected directly.
 *
 * <h3>Order</h3>
 * Calls are processed one after another, in arrival order, and replies go out in that order; reading pauses while
 * {@link ChatLimits#maxPipelinedRequests()} calls are in progress. Storage calls run asynchronously; their results
 * are handled on the channel's event loop, where all of this object's state lives.
 *
 * <h3>Authentication</h3>
 * The first call must be {@code authenticate}, within {@link ChatLimits#authTimeout()}. The session joins its couple
 * (pushes are held from then on), claims the couple for this server and reads its state; only when all of that worked
 * does the session keep its identity — a failed start leaves nothing behind, and the client may authenticate again.
 * The reply goes out first; then the session pushes every message after the client's {@code lastSeenSeq}, oldest
 * first, a page at a time while the client keeps reading, then what was held meanwhile.
 *
 * <h3>Delivery</h3>
 * Each device sees every seq of its couple once, in order, its own messages included: a push for a seq already
 * pushed is dropped, and a push that would skip a seq first fills the gap from HBase. Pushes held during a catch-up
 * are bounded ({@link #MAX_HELD}); beyond that the catch-up reads the rest from HBase instead.
 *
 * <h3>Moving</h3>
 * When the couple moves (a ring change) or the server drains, a session on a stream whose presenter takes part in
 * handovers asks it to pause the client ({@code MOVE}), answers every call it has read, and — once the presenter's
 * {@code CLOSE} says every client byte is here — ends the stream with a {@code Handover}: the original {@code OPEN},
 * the last seq pushed and the client bytes after the last whole frame it decoded. The presenter resumes the session on
 * the new owner, and the client sees nothing. Without a handover (a direct client, a presenter that does not take part,
 * no pause within {@link #HANDOVER_PAUSE_MILLIS}, more unread bytes than a frame holds) the session answers what it has
 * in progress, says {@code sessionEnding} and ends. A stream opened with a {@code Resume} verifies the token and claims
 * the couple as any other, then answers with {@code RESUMED} instead of an {@code AuthResponse} and pushes from the
 * seq after the old owner's last.
 *
 * <h3>Ending</h3>
 * Unreadable input is answered {@code EXCEPTION(PROTOCOL_ERROR)} after the calls before it, then ends the session
 * (stream reset {@code PROTOCOL_ERROR}, or connection closed) with a metric and a log line; an unknown method gets a
 * Thrift {@code UNKNOWN_METHOD} exception and the session goes on. A client too slow to read its pushes is ended
 * ({@code OVERLOAD}); it reconnects and catches up from storage.
 *
 * <h3>Memory</h3>
 * Reading pauses while {@code maxPipelinedRequests} calls are in progress and while the stream is not writable
 * (replies or pushes the client has not taken), and a call read is served only once the stream is writable: a client
 * that sends without reading holds at most one reply (one frame) beyond the stream's high water mark, plus the calls
 * of one inbound window waiting, decoded; pushes beyond {@code maxPendingPushBytes} end the session.
 */
public final class ChatSession extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ChatSession.class);
    /** Bad input can come from every client at once: one line per kind per 10 s. */
    private static final RateLimitedLog inputLog = new RateLimitedLog(log);
    private static final MessageCatalog RESULTS = MessageCatalog.client();
    /** Pushes held while catching up; message pushes beyond it are read from HBase instead. */
    static final int MAX_HELD = 256;
    /** Longest wait, when moving or draining, for the client to take the replies and the notice before the reset. */
    private static final long LEAVE_DEADLINE_SECONDS = 5;
    /** Longest wait for the presenter to pause the client for a handover before leaving without one. */
    static final long HANDOVER_PAUSE_MILLIS = 1_000;
    /** Room in a handover's {@code CLOSE} for everything but the first frame and the unread bytes. */
    private static final int HANDOVER_OVERHEAD_BYTES = 4096;

    private final ChatOperations operations;
    private ChannelHandlerContext ctx;
    private CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);
    private int inProgress;
    private TokenClaims identity;
    private Couple couple;
    private boolean catchingUp;
    private final List<ThriftMessage> held = new ArrayList<>();
    private long heldMaxSeq;
    private long lastPushedSeq;
    private Runnable afterReply;
    private Runnable whenWritable;
    /** The next call, waiting for the stream to be writable again. */
    private CompletableFuture<Void> writableWaiter;
    private ScheduledFuture<?> authTimer;
    private ScheduledFuture<?> expiryTimer;
    private boolean moving;
    /** Completes true once the presenter paused the client for a handover, false when it will not. */
    private CompletableFuture<Boolean> paused;
    /** The handover is written: nothing more goes to this client from here. */
    private boolean handingOver;
    /** This stream resumes a session handed over by another chat server. */
    private boolean resuming;
    private boolean ended;
    /** A message did not decode: nothing more is read, and the stream ends once the calls before it are answered. */
    private boolean unreadable;

    public ChatSession(ChatOperations operations) {
        this.operations = operations;
    }

    String userId() {
        return identity.getUserId();
    }

    // ---- lifecycle ----

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        operations.metrics().sessionOpened();
        long timeout = operations.limits().authTimeout().toMillis();
        authTimer = ctx.executor().schedule(() -> {
            if (identity == null) {
                end(ResetCode.PROTOCOL_ERROR, null, "auth_timeout", "no authenticate within " + timeout + " ms");
            }
        }, timeout, TimeUnit.MILLISECONDS);
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        operations.metrics().sessionClosed();
        cancel(authTimer);
        cancel(expiryTimer);
        if (couple != null) {
            operations.hub().leave(couple, this);
        }
        held.clear();
        whenWritable = null;
        releaseWritableWaiter();
        ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == StreamEvent.INPUT_CLOSED && paused != null) {
            paused.complete(true);
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (!ctx.channel().isWritable()) {
            // A client that does not read its replies stops being read: what it costs us stays bounded.
            ctx.channel().config().setAutoRead(false);
        } else {
            if (whenWritable != null) {
                Runnable resume = whenWritable;
                whenWritable = null;
                resume.run();
            }
            releaseWritableWaiter();
            resumeReading();
        }
        ctx.fireChannelWritabilityChanged();
    }

    /**
     * Completes once the stream is writable (or gone, or the session is ending). The next call waits for it: calls already read (a whole inbound
     * window of them can arrive in one read) are served no faster than the client takes their replies.
     */
    private CompletableFuture<Void> writable() {
        // Once the session is leaving, nothing more is served: what is queued must not wait for a reader.
        if (ctx.channel().isWritable() || !ctx.channel().isActive() || moving || ended || unreadable) {
            return CompletableFuture.completedFuture(null);
        }
        writableWaiter = new CompletableFuture<>();
        return writableWaiter;
    }

    private void releaseWritableWaiter() {
        CompletableFuture<Void> waiter = writableWaiter;
        writableWaiter = null;
        if (waiter != null) {
            waiter.complete(null);
        }
    }

    /**
     * Reads again unless a limit says not to: too many calls in progress, replies the client has not taken (the
     * stream unwritable), or the session ending.
     */
    private void resumeReading() {
        if (inProgress < operations.limits().maxPipelinedRequests() && ctx.channel().isWritable()
                && !ctx.channel().config().isAutoRead() && !moving && !ended && !unreadable) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    private static void cancel(ScheduledFuture<?> timer) {
        if (timer != null) {
            timer.cancel(false);
        }
    }

    // ---- calls ----

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ThriftMessage call = (ThriftMessage) msg;
        if (unreadable) {
            return;
        }
        if (call.type() != TMessageType.CALL) {
            operations.metrics().protocolError("not_a_call");
            end(ResetCode.PROTOCOL_ERROR, null, "protocol_error", "message type " + call.type() + " from a client");
            return;
        }
        enqueue(() -> handle(call));
    }

    private void enqueue(Supplier<CompletableFuture<Void>> work) {
        if (++inProgress >= operations.limits().maxPipelinedRequests()) {
            ctx.channel().config().setAutoRead(false);
        }
        tail = tail.thenComposeAsync(ignored -> writable(), ctx.executor())
                .thenComposeAsync(ignored -> work.get(), ctx.executor())
                .handleAsync((ignored, failure) -> {
                    if (failure != null) {
                        log.warn("call failed on {}", ctx.channel(), failure);
                    }
                    inProgress--;
                    resumeReading();
                    return null;
                }, ctx.executor());
    }

    private CompletableFuture<Void> handle(ThriftMessage call) {
        operations.metrics().request(call.name());
        // Moving with a handover, every call read is answered here: the new owner gets only the bytes after them.
        if ((moving && paused == null) || handingOver || ended || !ctx.channel().isActive()) {
            return CompletableFuture.completedFuture(null);
        }
        if (identity == null && !call.name().equals("authenticate")) {
            reply(call, error(call.name(), new ChatError(ErrorCode.NOT_AUTHENTICATED, "authenticate first")))
                    .addListener(written -> end(ResetCode.PROTOCOL_ERROR, null, "not_authenticated", null));
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<? extends TBase<?, ?>> result;
        try {
            result = dispatch(call);
        } catch (ChatError error) {
            result = CompletableFuture.completedFuture(error(call.name(), error));
        } catch (SessionEndException end) {
            return CompletableFuture.completedFuture(null).thenRun(() -> refuse(call, end));
        }
        return result.handleAsync((value, failure) -> {
            if (failure == null) {
                // A resumed authenticate is answered with RESUMED on the mux, not with a reply.
                if (value != null) {
                    reply(call, value);
                }
                if (afterReply != null) {
                    Runnable next = afterReply;
                    afterReply = null;
                    next.run();
                }
            } else {
                Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure;
                if (cause instanceof SessionEndException end) {
                    refuse(call, end);
                } else if (resuming && identity == null) {
                    operations.metrics().handover("resume_failed");
                    end(ResetCode.OVERLOAD, null, "resume_failed", "could not resume: " + cause);
                } else {
                    reply(call, error(call.name(), asChatError(call.name(), cause)));
                }
            }
            return null;
        }, ctx.executor());
    }

    private CompletableFuture<? extends TBase<?, ?>> dispatch(ThriftMessage call)
            throws ChatError, SessionEndException {
        TBase<?, ?> args = (TBase<?, ?>) call.body();
        switch (call.name()) {
            case "authenticate":
                if (identity != null) {
                    throw new ChatError(ErrorCode.BAD_REQUEST, "already authenticated");
                }
                return authenticate((ChatService.authenticate_args) args);
            case "sendMessage": {
                ChatService.sendMessage_args send = (ChatService.sendMessage_args) args;
                return operations.send(this, couple, send.getClientMsgId(), send.getBody())
                        .thenApply(sent -> new ChatService.sendMessage_result().setSuccess(sent));
            }
            case "fetchHistory": {
                ChatService.fetchHistory_args fetch = (ChatService.fetchHistory_args) args;
                return operations.history(couple.id(), fetch.getBeforeSeq(), fetch.getLimit())
                        .thenApply(history -> new ChatService.fetchHistory_result().setSuccess(history));
            }
            case "markRead":
                return operations.markRead(this, couple, ((ChatService.markRead_args) args).getSeq())
                        .thenApply(done -> new ChatService.markRead_result());
            case "setTyping":
                operations.typing(this, couple, ((ChatService.setTyping_args) args).isTyping());
                return CompletableFuture.completedFuture(new ChatService.setTyping_result());
            case "ping":
                return CompletableFuture.completedFuture(
                        new ChatService.ping_result().setSuccess(operations.clock().millis()));
            default:
                throw new ChatError(ErrorCode.BAD_REQUEST, "unsupported call " + call.name());
        }
    }

    private CompletableFuture<ChatService.authenticate_result> authenticate(ChatService.authenticate_args args)
            throws SessionEndException {
        Open open = ctx.channel() instanceof StreamChannel stream ? stream.openFrame() : null;
        resuming = open != null && open.isSetResume();
        TokenClaims claims = operations.admit(args.getRequest(), open);
        identity = claims;
        catchingUp = true;
        Couple joined = operations.hub().join(claims.getCoupleId(), this);
        couple = joined;
        long lastSeen = Math.max(0, args.getRequest().getLastSeenSeq());
        return operations.startSession(claims, joined).handleAsync((response, failure) -> {
            if (failure != null) {
                abandonStart(joined);
                throw failure instanceof CompletionException completion ? completion
                        : new CompletionException(failure);
            }
            cancel(authTimer);
            scheduleExpiry(claims);
            if (resuming) {
                lastPushedSeq = Math.min(open.getResume().getLastPushedSeq(), response.getLastSeq());
                ((StreamChannel) ctx.channel()).acceptResumed();
                operations.metrics().handover("resumed");
                afterReply = () -> catchUp(lastPushedSeq + 1, response.getLastSeq());
                return null;
            }
            // A client claiming more than exists (Long.MAX_VALUE: "only new messages") has seen everything.
            lastPushedSeq = Math.min(lastSeen, response.getLastSeq());
            afterReply = () -> catchUp(lastPushedSeq + 1, response.getLastSeq());
            return new ChatService.authenticate_result().setSuccess(response);
        }, ctx.executor());
    }

    /** Undoes a session start that failed: the client is unauthenticated again, and nothing was pushed or held. */
    private void abandonStart(Couple joined) {
        operations.hub().leave(joined, this);
        couple = null;
        identity = null;
        catchingUp = false;
        held.clear();
        heldMaxSeq = 0;
    }

    private void scheduleExpiry(TokenClaims claims) {
        long millis = claims.getExpiresAt() * 1000 - operations.clock().millis();
        expiryTimer = ctx.executor().schedule(() -> {
            push(ThriftMessage.oneway("sessionEnding", new ClientEvents.sessionEnding_args(
                    SessionEndReason.TOKEN_EXPIRED, "token expired")), 0);
            ctx.executor().execute(() -> end(ResetCode.AUTH_FAILED, null, "token_expired", null));
        }, Math.max(0, millis), TimeUnit.MILLISECONDS);
    }

    /**
     * Pushes stored messages {@code from..to}, a page at a time and only while the client keeps reading, then what was
     * held meanwhile (reading the held messages from HBase too if there were more than {@link #MAX_HELD}).
     */
    private void catchUp(long from, long to) {
        if (!ctx.channel().isActive() || ended || handingOver) {
            return;
        }
        if (from > to) {
            if (heldMaxSeq > to) {
                catchUp(from, heldMaxSeq);
                return;
            }
            catchingUp = false;
            heldMaxSeq = 0;
            while (!catchingUp && !held.isEmpty()) {
                ThriftMessage push = held.remove(0);
                deliver(push, seqOf(push));
            }
            return;
        }
        if (!ctx.channel().isWritable()) {
            whenWritable = () -> catchUp(from, to);
            return;
        }
        operations.page(couple.id(), from, to).whenCompleteAsync((messages, failure) -> {
            if (failure != null) {
                log.warn("could not read missed messages of couple {}; ending the session", couple.id(), failure);
                end(ResetCode.INTERNAL, null, "catch_up_failed", null);
                return;
            }
            for (Message message : messages) {
                if (message.getSeq() == lastPushedSeq + 1) {
                    lastPushedSeq = message.getSeq();
                    write(ThriftMessage.oneway("messageReceived", new ClientEvents.messageReceived_args(message)));
                }
            }
            catchUp(messages.isEmpty() ? to + 1 : lastPushedSeq + 1, to);
        }, ctx.executor());
    }

    private static long seqOf(ThriftMessage push) {
        return push.body() instanceof ClientEvents.messageReceived_args received ? received.getMessage().getSeq() : 0;
    }

    // ---- pushes, from any thread ----

    /** Sends a push to this client; {@code seq} is the message's seq for new messages, 0 for other events. */
    void push(ThriftMessage push, long seq) {
        ctx.executor().execute(() -> {
            // No identity: the session's start failed after a fan-out had already found it among the couple's.
            if (!ctx.channel().isActive() || ended || handingOver || identity == null) {
                return;
            }
            if (catchingUp) {
                hold(push, seq);
            } else {
                deliver(push, seq);
            }
        });
    }

    private void hold(ThriftMessage push, long seq) {
        heldMaxSeq = Math.max(heldMaxSeq, seq);
        if (held.size() < MAX_HELD) {
            held.add(push);
        }
    }

    /** A live push: at most once per seq, in order, filling a gap from HBase first. */
    private void deliver(ThriftMessage push, long seq) {
        if (seq > 0) {
            if (seq <= lastPushedSeq) {
                return;
            }
            if (seq > lastPushedSeq + 1) {
                operations.metrics().pushGap();
                catchingUp = true;
                held.add(0, push);
                heldMaxSeq = Math.max(heldMaxSeq, seq);
                catchUp(lastPushedSeq + 1, seq - 1);
                return;
            }
            lastPushedSeq = seq;
        }
        Channel channel = ctx.channel();
        if (!channel.isWritable() && channel.bytesBeforeWritable() > operations.limits().maxPendingPushBytes()) {
            end(ResetCode.OVERLOAD, null, "slow_client", "client left too many pushes unread");
            return;
        }
        write(push);
    }

    private void write(ThriftMessage push) {
        operations.metrics().pushed();
        ctx.writeAndFlush(push, ctx.voidPromise());
    }

    /** The couple moved to {@code owner} (null: unknown here): hand the session over, or answer, say so, and end. */
    public void moveTo(Member owner) {
        leave(SessionEndReason.MOVED, owner == null ? "couple moved" : "couple moved to " + owner.id(), owner, true);
    }

    /** The server is draining: hand the session over, or answer what is in progress, say so, and end. */
    public void drain() {
        // The last server of the ring (the whole system stopping) has no one to hand over to: its clients are told.
        Member owner = couple == null ? null : operations.owners().ownerElsewhere(couple.id());
        leave(SessionEndReason.DRAINING, "server draining", owner, operations.owners().hasOtherMembers());
    }

    private void leave(SessionEndReason reason, String detail, Member owner, boolean mayHandOver) {
        ctx.executor().execute(() -> {
            if (moving || ended) {
                return;
            }
            moving = true;
            ctx.channel().config().setAutoRead(false);
            releaseWritableWaiter();
            Runnable finish = () -> end(ResetCode.MOVED, owner, reason.name().toLowerCase(), null);
            // The deadline runs from now: the calls in progress and the notice (or the handover) wait behind what the
            // client has not read yet, and a client that reads nothing is reset at the deadline all the same.
            ScheduledFuture<?> deadline = ctx.executor().schedule(finish, LEAVE_DEADLINE_SECONDS, TimeUnit.SECONDS);
            // The calls to answer first are those read by the time the presenter paused the client: none come after.
            pauseForHandover(mayHandOver)
                    .thenComposeAsync(pausedNow -> tail.thenApply(done -> pausedNow), ctx.executor())
                    .whenCompleteAsync((pausedNow, failure) -> {
                        if (Boolean.TRUE.equals(pausedNow) && handOver(owner, deadline)) {
                            return;
                        }
                        log.debug("{} leaves {} without a handover (paused: {})", identity == null ? null
                                : identity.getUserId(), ctx.channel(), pausedNow);
                        ctx.writeAndFlush(ThriftMessage.oneway("sessionEnding",
                                new ClientEvents.sessionEnding_args(reason, detail))).addListener(written -> {
                                    deadline.cancel(false);
                                    finish.run();
                                });
                    }, ctx.executor());
        });
    }

    /** Sends {@code MOVE} when the presenter takes part in handovers; completes once it paused the client, or not. */
    private CompletableFuture<Boolean> pauseForHandover(boolean mayHandOver) {
        if (!mayHandOver || !(ctx.channel() instanceof StreamChannel stream) || !stream.canHandOver() || unreadable) {
            return CompletableFuture.completedFuture(false);
        }
        paused = new CompletableFuture<Boolean>().completeOnTimeout(false, HANDOVER_PAUSE_MILLIS,
                TimeUnit.MILLISECONDS);
        stream.requestHandover();
        return paused;
    }

    /**
     * Ends the stream with a handover to {@code owner} (null: the presenter's ring decides); false, having sent nothing,
     * when this session cannot be handed over.
     */
    private boolean handOver(Member owner, ScheduledFuture<?> deadline) {
        StreamChannel stream = (StreamChannel) ctx.channel();
        if (identity == null || unreadable || ended || !stream.isActive()) {
            operations.metrics().handover(identity == null ? "not_authenticated" : "ended");
            return false;
        }
        ClientFrameDecoder decoder = ctx.pipeline().get(ClientFrameDecoder.class);
        ByteBuf partial = decoder == null ? Unpooled.EMPTY_BUFFER : decoder.partialFrame();
        ByteBuf queued = stream.takeUnread();
        byte[] unread = new byte[partial.readableBytes() + queued.readableBytes()];
        partial.getBytes(partial.readerIndex(), unread, 0, partial.readableBytes());
        queued.readBytes(unread, partial.readableBytes(), queued.readableBytes());
        queued.release();
        Open original = stream.openFrame();
        if (original.getFirstFrame().length + unread.length + HANDOVER_OVERHEAD_BYTES > stream.peerMaxFrameSize()) {
            operations.metrics().handover("too_large");
            return false;
        }
        handingOver = true;
        Handover handover = new Handover(original, lastPushedSeq, ByteBuffer.wrap(unread))
                .setRingEpoch(operations.owners().epoch());
        if (owner != null) {
            handover.setOwner(owner.id());
        }
        stream.handOver(handover).addListener(sent -> {
            if (sent.isSuccess()) {
                deadline.cancel(false);
                ended = true;
                operations.metrics().handover("handed_over");
                operations.metrics().sessionEnded("handed_over");
            }
        });
        return true;
    }

    // ---- replies and ending ----

    /** Writes a reply; one that cannot be encoded (larger than a client frame) is answered with an error instead. */
    private ChannelFuture reply(ThriftMessage call, TBase<?, ?> result) {
        ChannelFuture written = ctx.writeAndFlush(ThriftMessage.reply(call.name(), call.seqId(), result));
        written.addListener(done -> {
            if (!done.isSuccess() && done.cause() instanceof EncoderException tooLarge && ctx.channel().isActive()) {
                operations.metrics().requestFailed(call.name(), "reply_too_large");
                log.warn("the reply to {} on {} could not be sent: {}", call.name(), ctx.channel(),
                        tooLarge.getMessage());
                ctx.writeAndFlush(ThriftMessage.reply(call.name(), call.seqId(), error(call.name(),
                        new ChatError(ErrorCode.INTERNAL, "the reply is larger than a frame"))));
            }
        });
        return written;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static TBase<?, ?> error(String method, ChatError error) {
        TBase result = (TBase) RESULTS.newBody(method, TMessageType.REPLY);
        TFieldIdEnum field = result.fieldForId(1);
        result.setFieldValue(field, error);
        return result;
    }

    private ChatError asChatError(String method, Throwable cause) {
        if (cause instanceof ChatError error) {
            operations.metrics().requestFailed(method, error.getCode().name().toLowerCase());
            return error;
        }
        // A couple claimed away is being moved: the client retries (same id) wherever it is routed next.
        boolean unavailable = cause instanceof IOException || cause instanceof TimeoutException
                || cause instanceof ConcurrentAppendException || cause instanceof OwnershipLostException;
        ErrorCode code = unavailable ? ErrorCode.UNAVAILABLE : ErrorCode.INTERNAL;
        operations.metrics().requestFailed(method, code.name().toLowerCase());
        if (!unavailable) {
            log.warn("{} failed on {}", method, ctx.channel(), cause);
        }
        return new ChatError(code, unavailable ? "storage unavailable, retry" : "internal error");
    }

    private void refuse(ThriftMessage call, SessionEndException end) {
        identity = null;
        if (couple != null) {
            operations.hub().leave(couple, this);
            couple = null;
        }
        String reason = end.resetCode().name().toLowerCase();
        // A refused resumption writes nothing to the client: the presenter tries elsewhere, or tells the client.
        if (resuming || ctx.channel() instanceof StreamChannel && end.resetCode() == ResetCode.NOT_OWNER) {
            end(end.resetCode(), end.owner(), reason, end.getMessage());
            return;
        }
        reply(call, error(call.name(), new ChatError(end.errorCode(), end.getMessage())))
                .addListener(written -> end(end.resetCode(), end.owner(), reason, end.getMessage()));
    }

    /** Ends the session: resets the stream with {@code code}, or closes the direct connection once flushed. */
    private void end(ResetCode code, Member owner, String reason, String detail) {
        if (!ctx.channel().isActive() || ended) {
            return;
        }
        ended = true;
        operations.metrics().sessionEnded(reason);
        if (ctx.channel() instanceof StreamChannel stream) {
            stream.reset(code, owner == null ? null : owner.id(), operations.owners().epoch(),
                    detail == null ? reason : detail);
        } else {
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof UnknownMethodException unknown) {
            operations.metrics().protocolError("unknown_method");
            enqueue(() -> {
                ctx.writeAndFlush(ThriftMessage.exception(unknown.method(), unknown.seqId(), new TApplicationException(
                        TApplicationException.UNKNOWN_METHOD, "unknown method " + unknown.method())));
                return CompletableFuture.completedFuture(null);
            });
        } else if (cause instanceof DecoderException) {
            if (unreadable || ended) {
                return;
            }
            // Nothing after an unreadable message is read; the calls before it are answered, then the EXCEPTION
            // (under the message's seqid when its header decoded), and the stream ends.
            unreadable = true;
            ctx.channel().config().setAutoRead(false);
            releaseWritableWaiter();
            String reason = reasonOf(cause);
            operations.metrics().protocolError(reason);
            inputLog.info("unreadable:" + reason, "ending session on {}: {} ({})", ctx.channel(), reason,
                    cause.getMessage());
            MalformedMessageException malformed = MalformedMessageException.in(cause);
            int seqId = malformed == null ? 0 : malformed.seqId();
            enqueue(() -> {
                ctx.writeAndFlush(ThriftMessage.exception("", seqId, new TApplicationException(
                        TApplicationException.PROTOCOL_ERROR, "unreadable message: " + reason)))
                        .addListener(written -> end(ResetCode.PROTOCOL_ERROR, null, reason, reason));
                return CompletableFuture.completedFuture(null);
            });
        } else if (cause instanceof IOException) {
            log.debug("connection error on {}: {}", ctx.channel(), cause.toString());
            ctx.close();
        } else {
            log.warn("unexpected error on {}", ctx.channel(), cause);
            end(ResetCode.INTERNAL, null, "internal", null);
        }
    }

    private static String reasonOf(Throwable cause) {
        MalformedMessageException malformed = MalformedMessageException.in(cause);
        if (malformed != null) {
            return malformed.reason();
        }
        Throwable root = cause.getCause() != null && !(cause instanceof TooLongFrameException
                || cause instanceof CorruptedFrameException || cause instanceof FrameTimeoutException)
                ? cause.getCause() : cause;
        if (root instanceof TooLongFrameException) {
            return "frame_too_long";
        } else if (root instanceof FrameTimeoutException) {
            return "frame_timeout";
        } else if (root instanceof CorruptedFrameException) {
            return "malformed";
        }
        return "decoder_error";
    }
}
