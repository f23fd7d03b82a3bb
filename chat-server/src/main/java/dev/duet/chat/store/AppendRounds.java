package dev.duet.chat.store;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.hadoop.hbase.client.AsyncTable;
import org.apache.hadoop.hbase.client.CheckAndMutate;
import org.apache.hadoop.hbase.client.CheckAndMutateResult;
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
 * Runs appends for many couples in rounds: one round is one multi-{@code Get} of every pending couple's fence and
 * idempotency keys, then one multi-{@code checkAndMutate} of their fenced row mutations — two HBase requests per
 * region server for the whole round instead of two per message. Appends arriving during a round wait for the next
 * one, so the busier the server, the larger the rounds. A round takes at most one append per couple, in arrival
 * order. A couple whose check failed (its row changed since the read) joins the next round, up to its attempt
 * limit; the next read tells whether the couple was claimed by another owner ({@link OwnershipLostException}).
 *
 * <h3>Completion</h3>
 * Every append's future completes, whatever throws: each step settles its round in a {@code finally}, failing any
 * append it could not decide, and the next round starts from there.
 */
final class AppendRounds {
    private static final Logger log = LoggerFactory.getLogger(AppendRounds.class);

    private final AsyncTable<?> table;
    private final int maxAttempts;
    private final int maxRoundSize;
    private final DistributionSummary roundSize;
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

    AppendRounds(AsyncTable<?> table, int maxAttempts, int maxRoundSize, MeterRegistry registry) {
        this.table = table;
        this.maxAttempts = maxAttempts;
        this.maxRoundSize = maxRoundSize;
        this.roundSize = DistributionSummary.builder("duet.chat.append.round.size")
                .description("couples in one HBase append round").register(registry);
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
        boolean reading = false;
        try {
            List<Get> gets = new ArrayList<>(round.size());
            for (Append append : round) {
                Get get = new Get(append.row).addColumn(CoupleRow.STATE, CoupleRow.FENCE);
                for (AppendRequest request : append.requests) {
                    get.addColumn(CoupleRow.IDEMPOTENCY,
                            CoupleRow.idempotencyKey(request.senderId(), request.clientMsgId()));
                }
                gets.add(get);
            }
            List<CompletableFuture<Result>> reads = table.get(gets);
            CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new))
                    .whenComplete((ignored, failure) -> afterReads(round, reads));
            reading = true;
        } catch (RuntimeException e) {
            log.warn("an append round failed to start", e);
        } finally {
            if (!reading) {
                settle(round, List.of());
            }
        }
    }

    private void afterReads(List<Append> round, List<CompletableFuture<Result>> reads) {
        List<Append> writing = new ArrayList<>();
        List<AppendPlan> plans = new ArrayList<>();
        List<CheckAndMutate> guarded = new ArrayList<>();
        boolean written = false;
        try {
            long now = System.currentTimeMillis();
            for (int i = 0; i < round.size(); i++) {
                Append append = round.get(i);
                try {
                    Result current = reads.get(i).join();
                    byte[] fenceBytes = current.getValue(CoupleRow.STATE, CoupleRow.FENCE);
                    Fence fence = fenceBytes == null ? null : Fence.fromBytes(fenceBytes);
                    if (fence == null || !fence.claim().equals(append.claim)) {
                        append.result.completeExceptionally(new OwnershipLostException(append.coupleId,
                                fence == null ? null : fence.claim()));
                        continue;
                    }
                    AppendPlan plan = AppendPlan.of(append.row, fence, current, append.requests, now);
                    if (plan.mutations() == null) {
                        append.result.complete(plan.results());
                        continue;
                    }
                    guarded.add(CheckAndMutate.newBuilder(append.row)
                            .ifEquals(CoupleRow.STATE, CoupleRow.FENCE, fenceBytes).build(plan.mutations()));
                    writing.add(append);
                    plans.add(plan);
                } catch (RuntimeException e) {
                    append.result.completeExceptionally(unwrap(e));
                }
            }
            if (guarded.isEmpty()) {
                return;
            }
            List<CompletableFuture<CheckAndMutateResult>> writes = table.checkAndMutate(guarded);
            CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new))
                    .whenComplete((ignored, failure) -> afterWrites(round, writing, plans, writes));
            written = true;
        } catch (RuntimeException e) {
            log.warn("an append round failed after its reads", e);
        } finally {
            if (!written) {
                settle(round, List.of());
            }
        }
    }

    private void afterWrites(List<Append> round, List<Append> writing, List<AppendPlan> plans,
                             List<CompletableFuture<CheckAndMutateResult>> writes) {
        List<Append> retry = new ArrayList<>();
        try {
            for (int i = 0; i < writing.size(); i++) {
                Append append = writing.get(i);
                try {
                    if (writes.get(i).join().isSuccess()) {
                        append.result.complete(plans.get(i).results());
                    } else if (++append.attempts >= maxAttempts) {
                        append.result.completeExceptionally(new ConcurrentAppendException("couple "
                                + append.coupleId + " changed under " + append.attempts + " append attempts"));
                    } else {
                        retry.add(append);
                    }
                } catch (RuntimeException e) {
                    append.result.completeExceptionally(unwrap(e));
                }
            }
        } finally {
            settle(round, retry);
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
