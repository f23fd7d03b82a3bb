package dev.duet.chat.service;

import dev.duet.chat.store.AppendRequest;
import dev.duet.chat.store.AppendResult;
import dev.duet.chat.store.HBaseChatStore;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One couple's live state on this server: its sessions (both people, any number of devices each) and its append
 * queue. Appends are group-committed: while one batch is in HBase, new messages queue, and the next batch takes them
 * all in one guarded row mutation — one couple never has two appends racing each other on this server, and a chatty
 * couple costs fewer round trips.
 */
final class Couple {
    private static final int MAX_BATCH = 64;

    private final String coupleId;
    private final HBaseChatStore store;
    private final Set<ChatSession> sessions = ConcurrentHashMap.newKeySet();
    private final List<Pending> queue = new ArrayList<>();
    private boolean appending;

    private record Pending(AppendRequest request, CompletableFuture<AppendResult> result) {
    }

    Couple(String coupleId, HBaseChatStore store) {
        this.coupleId = coupleId;
        this.store = store;
    }

    String id() {
        return coupleId;
    }

    Set<ChatSession> sessions() {
        return sessions;
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
        store.append(coupleId, requests).whenComplete((results, failure) -> {
            for (int i = 0; i < batch.size(); i++) {
                if (failure != null) {
                    batch.get(i).result().completeExceptionally(failure);
                } else {
                    batch.get(i).result().complete(results.get(i));
                }
            }
            List<Pending> next;
            synchronized (this) {
                appending = false;
                next = takeBatchIfIdle();
            }
            if (next != null) {
                write(next);
            }
        });
    }

    synchronized boolean isIdle() {
        return sessions.isEmpty() && !appending && queue.isEmpty();
    }
}
