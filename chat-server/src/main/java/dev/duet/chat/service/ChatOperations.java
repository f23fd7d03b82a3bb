package dev.duet.chat.service;

import dev.duet.chat.store.AppendRequest;
import dev.duet.chat.store.AppendResult;
import dev.duet.chat.store.HBaseChatStore;
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

import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * What each chat call does, shared by all sessions: token checks, ownership, storage and fan-out to the couple's
 * other live sessions. Calls complete on storage threads; {@link ChatSession} brings results back to its event loop.
 */
public final class ChatOperations {
    private final TokenVerifier verifier;
    private final HBaseChatStore store;
    private final CoupleHub hub;
    private final OwnerLookup owners;
    private final ChatLimits limits;
    private final ChatMetrics metrics;
    private final Clock clock;

    public ChatOperations(TokenVerifier verifier, HBaseChatStore store, CoupleHub hub, OwnerLookup owners,
                          ChatLimits limits, ChatMetrics metrics, Clock clock) {
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
            throw new SessionEndException(ResetCode.AUTH_FAILED, ErrorCode.AUTH_FAILED, e.getMessage(), null);
        }
        if (open != null && (!claims.getCoupleId().equals(open.getCoupleId())
                || !claims.getUserId().equals(open.getUserId()))) {
            metrics.authFailed("open_mismatch");
            throw new SessionEndException(ResetCode.AUTH_FAILED, ErrorCode.AUTH_FAILED,
                    "token does not match the identities the presenter verified", null);
        }
        Member owner = owners.ownerElsewhere(claims.getCoupleId());
        if (owner != null) {
            throw new SessionEndException(ResetCode.NOT_OWNER, ErrorCode.NOT_OWNER,
                    "couple is owned by " + owner.id(), owner);
        }
        return claims;
    }

    CompletableFuture<AuthResponse> startSession(TokenClaims claims) {
        return store.state(claims.getCoupleId(), claims.getUserId(), claims.getPartnerId())
                .thenApply(state -> new AuthResponse(claims.getUserId(), claims.getCoupleId(), claims.getPartnerId(),
                        state.lastSeq(), state.partnerReadSeq(), clock.millis()));
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
        long started = System.nanoTime();
        return couple.append(new AppendRequest(sender.userId(), clientMsgId, body)).thenApply(result -> {
            metrics.appendLatency().record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
            metrics.stored(result.duplicate() ? 0 : 1, result.duplicate() ? 1 : 0);
            if (!result.duplicate()) {
                fanOut(couple, sender, result);
            }
            Message stored = result.message();
            return new SendResult(stored.getSeq(), stored.getTimestamp(), result.duplicate());
        });
    }

    private void fanOut(Couple couple, ChatSession sender, AppendResult result) {
        ThriftMessage push = ThriftMessage.oneway("messageReceived",
                new ClientEvents.messageReceived_args(result.message()));
        for (ChatSession session : couple.sessions()) {
            if (session != sender) {
                session.push(push, result.message().getSeq());
            }
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
            return store.range(coupleId, from, to).thenApply(messages -> new History(messages, from > 1));
        });
    }

    CompletableFuture<Void> markRead(ChatSession reader, Couple couple, long seq) throws ChatError {
        if (seq < 0) {
            throw new ChatError(ErrorCode.BAD_REQUEST, "seq must not be negative");
        }
        return store.markRead(couple.id(), reader.userId(), seq).thenRun(() -> toPartner(couple, reader,
                ThriftMessage.oneway("readMarkUpdated", new ClientEvents.readMarkUpdated_args(reader.userId(), seq))));
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
