package dev.duet.chat.store;

import org.apache.hadoop.hbase.client.AsyncTable;
import org.apache.hadoop.hbase.client.CheckAndMutate;
import org.apache.hadoop.hbase.client.CheckAndMutateResult;
import org.apache.hadoop.hbase.client.Get;
import org.apache.hadoop.hbase.client.Result;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Runs appends for many couples in rounds: one round is one multi-{@code Get} of every pending couple's
 * {@code last_seq} and idempotency keys, then one multi-{@code checkAndMutate} of their guarded row mutations — two
 * HBase requests per region server for the whole round instead of two per message. Appends arriving during a round
 * wait for the next one, so the busier the server, the larger the rounds. A round takes at most one append per couple,
 * in arrival order. A couple whose guard failed (another writer) joins the next round, up to its attempt limit.
 */
final class AppendRounds {
    private final AsyncTable<?> table;
    private final int maxAttempts;
    private final int maxRoundSize;
    private final List<Append> waiting = new ArrayList<>();
    private boolean inRound;

    private static final class Append {
        final String coupleId;
        final byte[] row;
        final List<AppendRequest> requests;
        final CompletableFuture<List<AppendResult>> result = new CompletableFuture<>();
        int attempts;

        Append(String coupleId, List<AppendRequest> requests) {
            this.coupleId = coupleId;
            this.row = CoupleRow.key(coupleId);
            this.requests = requests;
        }
    }

    AppendRounds(AsyncTable<?> table, int maxAttempts, int maxRoundSize) {
        this.table = table;
        this.maxAttempts = maxAttempts;
        this.maxRoundSize = maxRoundSize;
    }

    CompletableFuture<List<AppendResult>> append(String coupleId, List<AppendRequest> requests) {
        Append append = new Append(coupleId, requests);
        enqueue(List.of(append));
        return append.result;
    }

    private void enqueue(List<Append> appends) {
        List<Append> round;
        synchronized (this) {
            waiting.addAll(appends);
            round = takeRoundIfIdle();
        }
        if (round != null) {
            run(round);
        }
    }

    private List<Append> takeRoundIfIdle() {
        if (inRound || waiting.isEmpty()) {
            return null;
        }
        inRound = true;
        // One append per couple per round: two would race each other for the same guard.
        Set<String> couples = new HashSet<>();
        List<Append> round = new ArrayList<>();
        for (Iterator<Append> it = waiting.iterator(); it.hasNext() && round.size() < maxRoundSize; ) {
            Append append = it.next();
            if (couples.add(append.coupleId)) {
                round.add(append);
                it.remove();
            }
        }
        return round;
    }

    private void run(List<Append> round) {
        List<Get> gets = new ArrayList<>(round.size());
        for (Append append : round) {
            Get get = new Get(append.row).addColumn(CoupleRow.STATE, CoupleRow.LAST_SEQ);
            for (AppendRequest request : append.requests) {
                get.addColumn(CoupleRow.IDEMPOTENCY, CoupleRow.clientMsgId(request.clientMsgId()));
            }
            gets.add(get);
        }
        List<CompletableFuture<Result>> reads = table.get(gets);
        CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).whenComplete((ignored, readFailure) -> {
            List<Append> writing = new ArrayList<>();
            List<AppendPlan> plans = new ArrayList<>();
            List<CheckAndMutate> guarded = new ArrayList<>();
            for (int i = 0; i < round.size(); i++) {
                Append append = round.get(i);
                Result current;
                try {
                    current = reads.get(i).join();
                } catch (RuntimeException e) {
                    append.result.completeExceptionally(e.getCause() != null ? e.getCause() : e);
                    continue;
                }
                AppendPlan plan = AppendPlan.of(append.row, current, append.requests, System.currentTimeMillis());
                if (plan.mutations() == null) {
                    append.result.complete(plan.results());
                    continue;
                }
                byte[] lastSeq = current.getValue(CoupleRow.STATE, CoupleRow.LAST_SEQ);
                CheckAndMutate.Builder guard = CheckAndMutate.newBuilder(append.row);
                guarded.add(lastSeq == null
                        ? guard.ifNotExists(CoupleRow.STATE, CoupleRow.LAST_SEQ).build(plan.mutations())
                        : guard.ifEquals(CoupleRow.STATE, CoupleRow.LAST_SEQ, lastSeq).build(plan.mutations()));
                writing.add(append);
                plans.add(plan);
            }
            if (guarded.isEmpty()) {
                finishRound(List.of());
                return;
            }
            List<CompletableFuture<CheckAndMutateResult>> writes = table.checkAndMutate(guarded);
            CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).whenComplete((done, writeFailure) -> {
                List<Append> retry = new ArrayList<>();
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
                        append.result.completeExceptionally(e.getCause() != null ? e.getCause() : e);
                    }
                }
                finishRound(retry);
            });
        });
    }

    private void finishRound(List<Append> retry) {
        List<Append> next;
        synchronized (this) {
            inRound = false;
            waiting.addAll(0, retry);
            next = takeRoundIfIdle();
        }
        if (next != null) {
            run(next);
        }
    }
}
