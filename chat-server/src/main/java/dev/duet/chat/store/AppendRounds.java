package dev.duet.chat.store;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.hadoop.hbase.client.AsyncTable;
import org.apache.hadoop.hbase.client.Get;
import org.apache.hadoop.hbase.client.Result;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Runs appends for many couples in rounds: one round is one multi-{@code Get} of the fence and idempotency keys of
 * every pending couple that needs reading, then the {@linkplain FencedWrites fenced writes} of their rows (one atomic
 * call per region) — at most two HBase requests per region for the whole round instead of two per message. Appends arriving during
 * a round wait for the next one, so the busier the server, the larger the rounds. A round takes at most one append
 * per couple, in arrival order. A couple whose check failed (its row changed since the read) joins the next round, up
 * to its attempt limit; the next read tells whether the couple was claimed by another owner
 * ({@link OwnershipLostException}).
 *
 * <h3>Appends without a read</h3>
 * After its own write the owner {@linkplain KnownRow knows} the row: the fence it wrote, with each sender's latest
 * client message id. An append whose ids are all above those is planned from that alone and written with the check
 * "the fence is still what I wrote", so a round of such appends is one request. The check is the same one a read
 * would have been followed by: if another owner claimed the couple, or anything else changed the fence, it fails, the
 * couple is forgotten and read again in the next round. A stale owner therefore acknowledges nothing on this path
 * either, and no id is stored twice: every stored key of a sender is at most its latest id, and an unchanged fence
 * (same lastSeq) means no key was stored since this owner's write.
 *
 * <h3>Completion</h3>
 * Every append's future completes, whatever throws: each step settles its round in a {@code finally}, failing any
 * append it could not decide, and the next round starts from there.
 */
final class AppendRounds {
    private static final Logger log = LoggerFactory.getLogger(AppendRounds.class);

    private final AsyncTable<?> table;
    private final FencedWrites fencedWrites;
    private final int maxAttempts;
    private final int maxRoundSize;
    private final DistributionSummary roundSize;
    private final Counter readsSkipped;
    private final KnownRows knownRows;
    private final List<Append> waiting = new ArrayList<>();
    private List<Append> inRound;

    private static final class Append {
        final String coupleId;
        final byte[] row;
        final OwnerClaim claim;
        final List<AppendRequest> requests;
        final CompletableFuture<List<AppendResult>> result = new CompletableFuture<>();
        final long enqueuedNanos = System.nanoTime();
        int attempts;

        Append(String coupleId, OwnerClaim claim, List<AppendRequest> requests) {
            this.coupleId = coupleId;
            this.row = CoupleRow.key(coupleId);
            this.claim = claim;
            this.requests = requests;
        }
    }

    AppendRounds(AsyncTable<?> table, FencedWrites fencedWrites, int maxAttempts, int maxRoundSize,
                 int knownRowCapacity, MeterRegistry registry) {
        this.table = table;
        this.fencedWrites = fencedWrites;
        this.knownRows = new KnownRows(knownRowCapacity);
        this.maxAttempts = maxAttempts;
        this.maxRoundSize = maxRoundSize;
        this.roundSize = DistributionSummary.builder("duet.chat.append.round.size")
                .description("couples in one HBase append round").register(registry);
        this.readsSkipped = Counter.builder("duet.chat.append.reads.skipped")
                .description("appends written without reading their row first").register(registry);
        registry.gauge("duet.chat.append.known.rows", knownRows, KnownRows::size);
        registry.gauge("duet.chat.append.rounds.in_flight", this, rounds -> rounds.roundsInFlight());
        registry.gauge("duet.chat.append.queue", this, rounds -> rounds.queued());
        registry.gauge("duet.chat.append.oldest.wait", this, rounds -> rounds.oldestWaitSeconds());
    }

    CompletableFuture<List<AppendResult>> append(String coupleId, OwnerClaim claim, List<AppendRequest> requests) {
        Append append = new Append(coupleId, claim, requests);
        List<Append> round;
        synchronized (this) {
            waiting.add(append);
            round = takeRoundIfIdle();
        }
        if (round != null) {
            run(round);
        }
        return append.result;
    }

    private List<Append> takeRoundIfIdle() {
        if (inRound != null || waiting.isEmpty()) {
            return null;
        }
        // One append per couple per round: two would race each other for the same fence.
        Set<String> couples = new HashSet<>();
        List<Append> round = new ArrayList<>();
        for (Iterator<Append> it = waiting.iterator(); it.hasNext() && round.size() < maxRoundSize; ) {
            Append append = it.next();
            if (couples.add(append.coupleId)) {
                round.add(append);
                it.remove();
            }
        }
        inRound = round;
        return round;
    }

    private void run(List<Append> round) {
        roundSize.record(round.size());
        boolean started = false;
        try {
            long now = System.currentTimeMillis();
            List<Planned> planned = new ArrayList<>(round.size());
            List<Append> reading = new ArrayList<>();
            List<Get> gets = new ArrayList<>();
            for (Append append : round) {
                KnownRow known = knownRows.get(append.coupleId);
                if (known != null && known.decides(append.claim, append.requests)) {
                    planned.add(new Planned(append, known.fenceBytes(), AppendPlan.of(append.row, known.fence(),
                            known.fenceBytes(), Result.EMPTY_RESULT, append.requests, now)));
                    continue;
                }
                Get get = Fence.addTo(new Get(append.row));
                for (AppendRequest request : append.requests) {
                    get.addColumn(CoupleRow.IDEMPOTENCY,
                            CoupleRow.idempotencyKey(request.senderId(), request.clientMsgId()));
                }
                reading.add(append);
                gets.add(get);
            }
            readsSkipped.increment(planned.size());
            if (gets.isEmpty()) {
                write(round, planned);
            } else {
                List<CompletableFuture<Result>> reads = table.get(gets);
                CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new))
                        .whenComplete((ignored, failure) -> afterReads(round, planned, reading, reads, now));
            }
            started = true;
        } catch (RuntimeException e) {
            log.warn("an append round failed to start", e);
        } finally {
            if (!started) {
                settle(round, List.of());
            }
        }
    }

    /** An append decided, and the fence bytes its write is guarded by. */
    private record Planned(Append append, byte[] fenceBytes, AppendPlan plan) {
    }

    private void afterReads(List<Append> round, List<Planned> planned, List<Append> reading,
                            List<CompletableFuture<Result>> reads, long now) {
        boolean written = false;
        try {
            for (int i = 0; i < reading.size(); i++) {
                Append append = reading.get(i);
                try {
                    Result current = reads.get(i).join();
                    Fence fence = Fence.of(current);
                    if (fence == null || !fence.claim().equals(append.claim)) {
                        knownRows.forget(append.coupleId);
                        append.result.completeExceptionally(new OwnershipLostException(append.coupleId,
                                fence == null ? null : fence.claim()));
                        continue;
                    }
                    byte[] fenceBytes = current.getValue(CoupleRow.STATE, CoupleRow.FENCE);
                    AppendPlan plan = AppendPlan.of(append.row, fence, fenceBytes, current, append.requests, now);
                    if (plan.put() == null) {
                        remember(append, plan);
                        append.result.complete(plan.results());
                        continue;
                    }
                    planned.add(new Planned(append, fenceBytes, plan));
                } catch (RuntimeException e) {
                    append.result.completeExceptionally(unwrap(e));
                }
            }
            write(round, planned);
            written = true;
        } catch (RuntimeException e) {
            log.warn("an append round failed after its reads", e);
        } finally {
            if (!written) {
                settle(round, List.of());
            }
        }
    }

    /** Writes the planned appends that store something, each guarded by its fence; settles the round after. */
    private void write(List<Append> round, List<Planned> planned) {
        List<Planned> writing = new ArrayList<>(planned.size());
        List<FencedWrites.Guarded> guarded = new ArrayList<>(planned.size());
        for (Planned p : planned) {
            if (p.plan().put() == null) {
                p.append().result.complete(p.plan().results());
                continue;
            }
            guarded.add(new FencedWrites.Guarded(p.append().row, p.fenceBytes(), p.plan().put()));
            writing.add(p);
        }
        if (guarded.isEmpty()) {
            settle(round, List.of());
            return;
        }
        List<CompletableFuture<Boolean>> writes = fencedWrites.write(guarded);
        CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new))
                .whenComplete((ignored, failure) -> afterWrites(round, writing, writes));
    }

    private void afterWrites(List<Append> round, List<Planned> writing, List<CompletableFuture<Boolean>> writes) {
        List<Append> retry = new ArrayList<>();
        try {
            for (int i = 0; i < writing.size(); i++) {
                Append append = writing.get(i).append();
                try {
                    if (writes.get(i).join()) {
                        remember(append, writing.get(i).plan());
                        append.result.complete(writing.get(i).plan().results());
                        continue;
                    }
                    // The fence is not what this owner wrote last: read the row again (another owner may hold it).
                    knownRows.forget(append.coupleId);
                    if (++append.attempts >= maxAttempts) {
                        append.result.completeExceptionally(new ConcurrentAppendException("couple "
                                + append.coupleId + " changed under " + append.attempts + " append attempts"));
                    } else {
                        retry.add(append);
                    }
                } catch (RuntimeException e) {
                    knownRows.forget(append.coupleId);
                    append.result.completeExceptionally(unwrap(e));
                }
            }
        } finally {
            settle(round, retry);
        }
    }

    private void remember(Append append, AppendPlan plan) {
        if (plan.after() == null) {
            knownRows.forget(append.coupleId);
        } else {
            knownRows.remember(append.coupleId, plan.after());
        }
    }

    /** Ends a round: fails what it left undecided (but the retries), then starts the next one. */
    private void settle(List<Append> round, List<Append> retry) {
        for (Append append : round) {
            if (!append.result.isDone() && !retry.contains(append)) {
                append.result.completeExceptionally(
                        new IllegalStateException("the append round of couple " + append.coupleId + " failed"));
            }
        }
        List<Append> next;
        synchronized (this) {
            inRound = null;
            waiting.addAll(0, retry);
            next = takeRoundIfIdle();
        }
        if (next != null) {
            run(next);
        }
    }

    private static Throwable unwrap(RuntimeException e) {
        return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    }

    synchronized int roundsInFlight() {
        return inRound == null ? 0 : 1;
    }

    synchronized int queued() {
        return waiting.size();
    }

    /** How long the oldest append not yet answered has waited, in the queue or in the round in flight. */
    synchronized double oldestWaitSeconds() {
        long oldest = Long.MAX_VALUE;
        if (!waiting.isEmpty()) {
            oldest = waiting.get(0).enqueuedNanos;
        }
        if (inRound != null) {
            for (Append append : inRound) {
                oldest = Math.min(oldest, append.enqueuedNanos);
            }
        }
        return oldest == Long.MAX_VALUE ? 0 : (System.nanoTime() - oldest) / 1e9;
    }
}
