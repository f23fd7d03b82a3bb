package dev.duet.chat.service;

import dev.duet.chat.store.AppendRequest;
import dev.duet.chat.store.AppendResult;
import dev.duet.chat.store.HBaseChatStore;
import dev.duet.chat.store.OwnerClaim;
import dev.duet.chat.store.OwnershipLostException;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * One couple's live state on this server: its sessions (both people, any number of devices each), its claim of
 * ownership, and its append queue.
 *
 * <h3>Appends</h3>
 * Appends are group-committed: while one batch is in HBase, new messages queue, and the next batch takes them all in
 * one fenced row mutation — one couple never has two appends racing each other on this server, and a chatty couple
 * costs fewer round trips. Every future completes, whatever throws.
 *
 * <h3>Ownership</h3>
 * When a session starts, and before an append whenever the ring view changed, the couple is claimed in its row with
 * this server's current view ({@link OwnerLookup#claimFor}); a claim held from the current ring serves appends until
 * an append finds the row claimed by another (then it is dropped). An append fenced out by a newer claim fails with
 * {@link OwnershipLostException}: the caller ends the sessions (MOVED) and acknowledges nothing. Only a session start
 * takes a couple over within one view; an append never does, so two servers can never keep taking a couple from each
 * other by appending.
 */
final class Couple {
    private static final int MAX_BATCH = 64;

    private final String coupleId;
    private final HBaseChatStore store;
    private final OwnerLookup owners;
    private final Consumer<Couple> whenIdle;
    private final Set<ChatSession> sessions = ConcurrentHashMap.newKeySet();
    private final List<Pending> queue = new ArrayList<>();
    private boolean appending;
    private volatile OwnerClaim claim;
    /** The claim an append found fenced out, if any. */
    private volatile OwnerClaim lost;

    private record Pending(AppendRequest request, CompletableFuture<AppendResult> result) {
    }

    Couple(String coupleId, HBaseChatStore store, OwnerLookup owners, Consumer<Couple> whenIdle) {
        this.coupleId = coupleId;
        this.store = store;
        this.owners = owners;
        this.whenIdle = whenIdle;
    }

    String id() {
        return coupleId;
    }

    Set<ChatSession> sessions() {
        return sessions;
    }

    /**
     * This server's claim on the couple from its current ring view, written to the row unless it is there already.
     * Fails with {@link OwnershipLostException} when the view gives the couple to another member, or the row holds a
     * claim this one does not supersede. {@code takeOver} (a session is starting here): another server's claim from
     * the same view is taken over, one generation up — the presenters route this couple here now.
     */
    CompletableFuture<OwnerClaim> claimed(boolean takeOver) {
        OwnerClaim held = claim;
        if (!takeOver && held != null && owners.isCurrent(held)) {
            return CompletableFuture.completedFuture(held);
        }
        OwnerClaim fenced = lost;
        if (!takeOver && fenced != null && owners.isCurrent(fenced)) {
            // Fenced out within this view: an append does not claim the couple back (a session start may).
            return CompletableFuture.failedFuture(new OwnershipLostException(coupleId, null));
        }
        OwnerClaim wanted = owners.claimFor(coupleId);
        if (wanted == null) {
            return CompletableFuture.failedFuture(new OwnershipLostException(coupleId, null));
        }
        return store.claim(coupleId, wanted, takeOver).thenApply(fence -> {
            claim = fence.claim();
            lost = null;
            return fence.claim();
        });
    }

    /** Completes once HBase has stored the message (or found it stored already). */
    CompletableFuture<AppendResult> append(AppendRequest request) {
        CompletableFuture<AppendResult> result = new CompletableFuture<>();
        List<Pending> batch;
        synchronized (this) {
            queue.add(new Pending(request, result));
            batch = takeBatchIfIdle();
        }
        if (batch != null) {
            write(batch);
        }
        return result;
    }

    private List<Pending> takeBatchIfIdle() {
        if (appending || queue.isEmpty()) {
            return null;
        }
        appending = true;
        int size = Math.min(MAX_BATCH, queue.size());
        List<Pending> batch = new ArrayList<>(queue.subList(0, size));
        queue.subList(0, size).clear();
        return batch;
    }

    private void write(List<Pending> batch) {
        List<AppendRequest> requests = batch.stream().map(Pending::request).toList();
        CompletableFuture<List<AppendResult>> stored;
        try {
            stored = claimed(false).thenCompose(owner -> store.append(coupleId, owner, requests));
        } catch (RuntimeException e) {
            stored = CompletableFuture.failedFuture(e);
        }
        stored.whenComplete((results, failure) -> {
            if (failure != null && unwrap(failure) instanceof OwnershipLostException) {
                OwnerClaim fenced = claim;
                if (fenced != null) {
                    lost = fenced;
                }
                claim = null;
            }
            try {
                for (int i = 0; i < batch.size(); i++) {
                    if (failure != null) {
                        batch.get(i).result().completeExceptionally(unwrap(failure));
                    } else {
                        batch.get(i).result().complete(results.get(i));
                    }
                }
            } finally {
                for (Pending pending : batch) {
                    pending.result().completeExceptionally(new IllegalStateException("append of " + coupleId
                            + " was not answered"));
                }
                writeNext();
            }
        });
    }

    private void writeNext() {
        List<Pending> next;
        boolean idle;
        synchronized (this) {
            appending = false;
            next = takeBatchIfIdle();
            idle = next == null && sessions.isEmpty();
        }
        if (next != null) {
            write(next);
        } else if (idle) {
            whenIdle.accept(this);
        }
    }

    private static Throwable unwrap(Throwable failure) {
        return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    }

    synchronized boolean isIdle() {
        return sessions.isEmpty() && !appending && queue.isEmpty();
    }
}
