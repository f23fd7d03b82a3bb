package dev.duet.chat.service;

import dev.duet.chat.store.AppendRequest;
import dev.duet.chat.store.AppendResult;
import dev.duet.chat.store.HBaseChatStore;
import dev.duet.chat.store.OwnershipLostException;
import dev.duet.protocol.auth.TokenRejectedException;
import dev.duet.protocol.auth.TokenVerifier;
import dev.duet.protocol.client.ThriftMessage;
import dev.duet.ring.Member;
import dev.duet.thrift.chat.AuthRequest;
import dev.duet.thrift.chat.AuthResponse;
import dev.duet.thrift.chat.ChatError;
import dev.duet.thrift.chat.ClientEvents;
import dev.duet.thrift.chat.ErrorCode;
import dev.duet.thrift.chat.History;
import dev.duet.thrift.chat.Message;
import dev.duet.thrift.chat.SendResult;
import dev.duet.thrift.chat.TokenClaims;
import dev.duet.thrift.mux.Open;
import dev.duet.thrift.mux.ResetCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * What each chat call does, shared by all sessions: token checks, ownership, storage and fan-out to the couple's
 * other live sessions. Calls complete on storage threads; {@link ChatSession} brings results back to its event loop.
 */
public final class ChatOperations {
    private static final Logger log = LoggerFactory.getLogger(ChatOperations.class);
    /** Room in a reply frame for the Thrift envelope and the History struct around the messages. */
    private static final int REPLY_ENVELOPE_BYTES = 1024;

    private final TokenVerifier verifier;
    private final HBaseChatStore store;
    private final CoupleHub hub;
    private final OwnerLookup owners;
    private final ChatLimits limits;
    private final ChatMetrics metrics;
    private final Clock clock;
    private final int maxReplyBytes;
    private final BooleanSupplier storeUp;

    /**
     * {@code maxReplyBytes}: the largest frame a client accepts; no reply is built larger. {@code storeUp}: false
     * while HBase does not answer, and sends are refused at once.
     */
    public ChatOperations(TokenVerifier verifier, HBaseChatStore store, CoupleHub hub, OwnerLookup owners,
                          ChatLimits limits, ChatMetrics metrics, Clock clock, int maxReplyBytes,
                          BooleanSupplier storeUp) {
        this.maxReplyBytes = maxReplyBytes;
        this.storeUp = storeUp;
        this.verifier = verifier;
        this.store = store;
        this.hub = hub;
        this.owners = owners;
        this.limits = limits;
        this.metrics = metrics;
        this.clock = clock;
    }

    ChatLimits limits() {
        return limits;
    }

    ChatMetrics metrics() {
        return metrics;
    }

    HBaseChatStore store() {
        return store;
    }

    CoupleHub hub() {
        return hub;
    }

    OwnerLookup owners() {
        return owners;
    }

    Clock clock() {
        return clock;
    }

    /**
     * Verifies the token (and, on a mux stream, that it names the identities the presenter verified) and that this
     * server owns the couple.
     */
    TokenClaims admit(AuthRequest request, Open open) throws SessionEndException {
        TokenClaims claims;
        try {
            claims = verifier.verify(request.getToken());
        } catch (TokenRejectedException e) {
            metrics.authFailed(e.reason().name().toLowerCase());
            log.debug("token refused: {}", e.getMessage());
            throw new SessionEndException(ResetCode.AUTH_FAILED, ErrorCode.AUTH_FAILED, e.publicMessage(), null);
        }
        if (open != null && (!claims.getCoupleId().equals(open.getCoupleId())
                || !claims.getUserId().equals(open.getUserId()))) {
            metrics.authFailed("open_mismatch");
            throw new SessionEndException(ResetCode.AUTH_FAILED, ErrorCode.AUTH_FAILED,
                    "token does not match the identities the presenter verified", null);
        }
        if (!owners.isServing()) {
            throw new SessionEndException(ResetCode.OVERLOAD, ErrorCode.OVERLOAD, "server not serving (draining)",
                    null);
        }
        if (open != null && open.isSetUnreachable()) {
            owners.reportUnreachable(open.getUnreachable());
        }
        Member owner = owners.ownerElsewhere(claims.getCoupleId());
        if (owner != null) {
            throw new SessionEndException(ResetCode.NOT_OWNER, ErrorCode.NOT_OWNER,
                    "couple is owned by " + owner.id(), owner);
        }
        return claims;
    }

    /**
     * Claims the couple for this server (see {@link Couple#claimed}) and reads what the session starts from. Fails with
     * {@link SessionEndException} ({@code NOT_OWNER}) when another owner holds the couple.
     */
    CompletableFuture<AuthResponse> startSession(TokenClaims claims, Couple couple) {
        return couple.claimed(true)
                .thenCompose(claim -> store.state(claims.getCoupleId(), claims.getUserId(), claims.getPartnerId()))
                .thenApply(state -> new AuthResponse(claims.getUserId(), claims.getCoupleId(), claims.getPartnerId(),
                        state.lastSeq(), state.partnerReadSeq(), clock.millis()))
                .exceptionallyCompose(failure -> {
                    Throwable cause = unwrap(failure);
                    if (cause instanceof OwnershipLostException lost) {
                        metrics.ownershipLost();
                        return CompletableFuture.failedFuture(notOwner(lost, claims.getCoupleId()));
                    }
                    return CompletableFuture.failedFuture(cause);
                });
    }

    private SessionEndException notOwner(OwnershipLostException lost, String coupleId) {
        Member owner = lost.current() == null ? owners.ownerElsewhere(coupleId) : ownerAfter(lost);
        return new SessionEndException(ResetCode.NOT_OWNER, ErrorCode.NOT_OWNER, lost.getMessage(), owner);
    }

    /** The member that holds the couple according to {@code lost}, when this server's view knows it. */
    Member ownerAfter(OwnershipLostException lost) {
        return lost.current() == null ? null : owners.member(lost.current().ownerId());
    }

    private static Throwable unwrap(Throwable failure) {
        return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    }

    CompletableFuture<SendResult> send(ChatSession sender, Couple couple, String clientMsgId, String body)
            throws ChatError {
        if (clientMsgId == null || clientMsgId.isEmpty() || clientMsgId.length() > limits.maxClientMsgIdChars()) {
            throw new ChatError(ErrorCode.BAD_REQUEST, "clientMsgId must have 1 to "
                    + limits.maxClientMsgIdChars() + " characters");
        }
        if (body == null || body.length() > limits.maxBodyChars()) {
            throw new ChatError(ErrorCode.BAD_REQUEST, "body must have at most " + limits.maxBodyChars()
                    + " characters");
        }
        if (!storeUp.getAsBoolean()) {
            metrics.appendRefusedStoreDown();
            throw new ChatError(ErrorCode.UNAVAILABLE, "storage unavailable, retry");
        }
        long started = System.nanoTime();
        CompletableFuture<AppendResult> stored = couple.append(new AppendRequest(sender.userId(), clientMsgId, body));
        // Delivery follows the store, not the reply: a message stored after its reply timed out still reaches
        // every device, and so does a duplicate (an earlier attempt may have been stored without being pushed).
        stored.whenComplete((result, failure) -> {
            if (result != null && !result.conflict()) {
                fanOut(couple, result.message());
            } else if (failure != null && unwrap(failure) instanceof OwnershipLostException lost) {
                metrics.ownershipLost();
                Member owner = ownerAfter(lost);
                couple.sessions().forEach(session -> session.moveTo(owner));
            }
        });
        return stored.copy().orTimeout(limits.appendTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((result, failure) -> {
                    if (failure != null && unwrap(failure) instanceof TimeoutException) {
                        metrics.appendTimedOut();
                    }
                })
                .thenApply(result -> {
                    if (result.conflict()) {
                        throw new CompletionException(new ChatError(ErrorCode.BAD_REQUEST,
                                "clientMsgId " + clientMsgId + " was already used for another message"));
                    }
                    metrics.appendLatency().record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
                    metrics.stored(result.duplicate() ? 0 : 1, result.duplicate() ? 1 : 0);
                    Message message = result.message();
                    return new SendResult(message.getSeq(), message.getTimestamp(), result.duplicate());
                });
    }

    /** Every session of the couple gets the message, the sender's own included: each device sees every seq. */
    private static void fanOut(Couple couple, Message message) {
        ThriftMessage push = ThriftMessage.oneway("messageReceived", new ClientEvents.messageReceived_args(message));
        for (ChatSession session : couple.sessions()) {
            session.push(push, message.getSeq());
        }
    }

    CompletableFuture<History> history(String coupleId, long beforeSeq, int limit) throws ChatError {
        if (limit < 1 || limit > limits.maxHistoryPage() || beforeSeq < 0) {
            throw new ChatError(ErrorCode.BAD_REQUEST, "limit must be 1 to " + limits.maxHistoryPage()
                    + " and beforeSeq not negative");
        }
        CompletableFuture<Long> upTo = beforeSeq > 0
                ? CompletableFuture.completedFuture(beforeSeq - 1)
                : store.lastSeq(coupleId);
        return upTo.thenCompose(to -> {
            long from = Math.max(1, to - limit + 1);
            return store.range(coupleId, from, to).thenApply(messages -> newestThatFit(messages, from > 1));
        });
    }

    /**
     * The newest of {@code messages} whose reply fits in one client frame; {@code more} when older ones exist,
     * before these or cut off here. The first message is kept whatever its size: a reply that still cannot be sent
     * is answered with an error by the session.
     */
    private History newestThatFit(List<Message> messages, boolean olderExist) {
        int budget = maxReplyBytes - REPLY_ENVELOPE_BYTES;
        int first = messages.size();
        while (first > 0) {
            int size = encodedSize(messages.get(first - 1));
            if (first < messages.size() && size > budget) {
                break;
            }
            budget -= size;
            first--;
        }
        return new History(new ArrayList<>(messages.subList(first, messages.size())), olderExist || first > 0);
    }

    /** An upper bound of a message's size in TCompactProtocol: its strings, plus varints and field headers. */
    private static int encodedSize(Message message) {
        return utf8Length(message.getBody()) + utf8Length(message.getSenderId())
                + utf8Length(message.getClientMsgId()) + 40;
    }

    private static int utf8Length(String value) {
        return value == null ? 0 : value.getBytes(StandardCharsets.UTF_8).length;
    }

    CompletableFuture<Void> markRead(ChatSession reader, Couple couple, long seq) throws ChatError {
        if (seq < 0) {
            throw new ChatError(ErrorCode.BAD_REQUEST, "seq must not be negative");
        }
        return store.markRead(couple.id(), reader.userId(), seq).thenAccept(mark -> {
            ThriftMessage push = ThriftMessage.oneway("readMarkUpdated",
                    new ClientEvents.readMarkUpdated_args(reader.userId(), mark));
            for (ChatSession session : couple.sessions()) {
                if (session != reader) {
                    session.push(push, 0);
                }
            }
        });
    }

    /** Typing is volatile: it reaches the partner's live sessions and is never stored. */
    void typing(ChatSession typist, Couple couple, boolean typing) {
        toPartner(couple, typist,
                ThriftMessage.oneway("partnerTyping", new ClientEvents.partnerTyping_args(typist.userId(), typing)));
    }

    private static void toPartner(Couple couple, ChatSession from, ThriftMessage push) {
        for (ChatSession session : couple.sessions()) {
            if (!session.userId().equals(from.userId())) {
                session.push(push, 0);
            }
        }
    }

    CompletableFuture<List<Message>> page(String coupleId, long fromSeq, long toSeq) {
        return store.range(coupleId, fromSeq, Math.min(toSeq, fromSeq + limits.catchUpPage() - 1));
    }
}
