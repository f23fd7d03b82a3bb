package dev.duet.chat.store;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.hadoop.hbase.CompareOperator;
import org.apache.hadoop.hbase.HRegionLocation;
import org.apache.hadoop.hbase.client.AsyncTable;
import org.apache.hadoop.hbase.client.AsyncTableRegionLocator;
import org.apache.hadoop.hbase.client.CheckAndMutate;
import org.apache.hadoop.hbase.client.CheckAndMutateResult;
import org.apache.hadoop.hbase.client.Put;
import org.apache.hadoop.hbase.io.TimeRange;
import org.apache.hadoop.hbase.protobuf.ProtobufUtil;
import org.apache.hadoop.hbase.protobuf.generated.ClientProtos.MutationProto.MutationType;
import org.apache.hadoop.hbase.protobuf.generated.MultiRowMutationProtos.MultiRowMutationService;
import org.apache.hadoop.hbase.protobuf.generated.MultiRowMutationProtos.MutateRowsRequest;
import org.apache.hadoop.hbase.protobuf.generated.MultiRowMutationProtos.MutateRowsResponse;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Writes rows, each only if its fence cell still holds the bytes its writer expects, checked and written atomically.
 *
 * <p>HBase runs the guarded mutations of one multi-request one after another, each with its own write-ahead-log sync,
 * so a round of a thousand {@code checkAndMutate}s costs a thousand syncs. With the table's
 * {@code MultiRowMutationEndpoint} (HBase's own coprocessor, which {@link HBaseChatStore#tableDescriptor} attaches),
 * the writes of one region go in one call instead: the region server locks those rows, checks every fence, and
 * applies all the writes in one atomic batch with one sync — or, if any fence has moved, applies none. Then, and
 * whenever the call fails or the table lacks the endpoint, the region's writes are sent again as one
 * {@code checkAndMutate} each, which tells which fences held. A call that failed with its outcome unknown is safe to
 * follow so: if it was applied, the fences moved, and the guarded writes fail as if another writer had come between.
 */
final class FencedWrites {
    /** HBase's coprocessor for atomic, conditional multi-row mutations within a region (in every region server). */
    static final String ENDPOINT = "org.apache.hadoop.hbase.coprocessor.MultiRowMutationEndpoint";

    /** A row to write if its fence cell still holds {@code fenceBytes}. */
    record Guarded(byte[] row, byte[] fenceBytes, Put put) {
    }

    private final AsyncTable<?> table;
    private final AsyncTableRegionLocator locator;
    private final boolean endpoint;
    private final Counter regionBatches;
    private final Counter fallbacks;

    FencedWrites(AsyncTable<?> table, AsyncTableRegionLocator locator, boolean endpoint, MeterRegistry registry) {
        this.table = table;
        this.locator = locator;
        this.endpoint = endpoint;
        this.regionBatches = Counter.builder("duet.chat.append.region.batches")
                .description("guarded append batches written to one region in one atomic call").register(registry);
        this.fallbacks = Counter.builder("duet.chat.append.region.batch.fallbacks")
                .description("region batches refused (a fence had moved) or failed, then written one row at a time")
                .register(registry);
    }

    /**
     * One future per write, in order: true when its fence held and the row was written, false when it had moved. Every
     * future completes, whatever throws.
     */
    List<CompletableFuture<Boolean>> write(List<Guarded> writes) {
        List<CompletableFuture<Boolean>> results = new ArrayList<>(writes.size());
        for (int i = 0; i < writes.size(); i++) {
            results.add(new CompletableFuture<>());
        }
        settling(results, () -> {
            if (endpoint) {
                byRegion(writes, results);
            } else {
                oneByOne(writes, results);
            }
        });
        return results;
    }

    private void byRegion(List<Guarded> writes, List<CompletableFuture<Boolean>> results) {
        List<CompletableFuture<HRegionLocation>> locations = new ArrayList<>(writes.size());
        for (Guarded write : writes) {
            locations.add(locator.getRegionLocation(write.row()));
        }
        CompletableFuture.allOf(locations.toArray(CompletableFuture[]::new)).whenComplete((ignored, failure) ->
                settling(results, () -> {
                    Map<String, List<Integer>> regions = new LinkedHashMap<>();
                    List<Integer> unlocated = new ArrayList<>();
                    for (int i = 0; i < writes.size(); i++) {
                        CompletableFuture<HRegionLocation> location = locations.get(i);
                        if (location.isCompletedExceptionally()) {
                            unlocated.add(i);
                        } else {
                            regions.computeIfAbsent(location.join().getRegion().getEncodedName(),
                                    region -> new ArrayList<>()).add(i);
                        }
                    }
                    if (!unlocated.isEmpty()) {
                        oneByOne(pick(writes, unlocated), pick(results, unlocated));
                    }
                    for (List<Integer> region : regions.values()) {
                        inOneCall(pick(writes, region), pick(results, region));
                    }
                }));
    }

    private void inOneCall(List<Guarded> writes, List<CompletableFuture<Boolean>> results) {
        if (writes.size() == 1) {
            oneByOne(writes, results);
            return;
        }
        MutateRowsRequest request = request(writes);
        regionBatches.increment();
        table.<MultiRowMutationService, MutateRowsResponse>coprocessorService(MultiRowMutationService::newStub,
                        (stub, controller, done) -> stub.mutateRows(controller, request, done), writes.get(0).row())
                .whenComplete((response, failure) -> settling(results, () -> {
                    if (failure == null && response.getProcessed()) {
                        results.forEach(result -> result.complete(true));
                    } else {
                        fallbacks.increment();
                        oneByOne(writes, results);
                    }
                }));
    }

    /** Runs {@code step}; if it throws, fails every result it left open. */
    private static void settling(List<CompletableFuture<Boolean>> results, Runnable step) {
        try {
            step.run();
        } catch (RuntimeException e) {
            results.forEach(result -> result.completeExceptionally(e));
        }
    }

    private static MutateRowsRequest request(List<Guarded> writes) {
        MutateRowsRequest.Builder request = MutateRowsRequest.newBuilder();
        try {
            for (Guarded write : writes) {
                request.addMutationRequest(ProtobufUtil.toMutation(MutationType.PUT, write.put()));
                request.addCondition(ProtobufUtil.toCondition(write.row(), CoupleRow.STATE, CoupleRow.FENCE,
                        CompareOperator.EQUAL, write.fenceBytes(), TimeRange.allTime()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return request.build();
    }

    private void oneByOne(List<Guarded> writes, List<CompletableFuture<Boolean>> results) {
        List<CheckAndMutate> guarded = new ArrayList<>(writes.size());
        for (Guarded write : writes) {
            guarded.add(CheckAndMutate.newBuilder(write.row())
                    .ifEquals(CoupleRow.STATE, CoupleRow.FENCE, write.fenceBytes()).build(write.put()));
        }
        List<CompletableFuture<CheckAndMutateResult>> sent = table.checkAndMutate(guarded);
        for (int i = 0; i < sent.size(); i++) {
            CompletableFuture<Boolean> result = results.get(i);
            sent.get(i).whenComplete((written, failure) -> {
                if (failure != null) {
                    result.completeExceptionally(failure);
                } else {
                    result.complete(written.isSuccess());
                }
            });
        }
    }

    private static <T> List<T> pick(List<T> all, List<Integer> indexes) {
        List<T> picked = new ArrayList<>(indexes.size());
        for (int index : indexes) {
            picked.add(all.get(index));
        }
        return picked;
    }
}
