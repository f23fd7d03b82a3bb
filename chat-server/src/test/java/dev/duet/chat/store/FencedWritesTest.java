package dev.duet.chat.store;

import dev.duet.chat.testing.SharedHBase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.hadoop.hbase.TableName;
import org.apache.hadoop.hbase.client.AsyncConnection;
import org.apache.hadoop.hbase.client.AsyncTable;
import org.apache.hadoop.hbase.client.ConnectionFactory;
import org.apache.hadoop.hbase.client.Get;
import org.apache.hadoop.hbase.client.Put;
import org.apache.hadoop.hbase.client.TableDescriptor;
import org.apache.hadoop.hbase.client.TableDescriptorBuilder;
import org.apache.hadoop.hbase.util.Bytes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Fenced writes against a real HBase: with HBase's multi-row endpoint on the table, and without it. */
class FencedWritesTest {
    private static final StoreSettings WITH_ENDPOINT = new StoreSettings("duet_test", "fenced_with_endpoint",
            Duration.ofSeconds(30), 50);
    private static final StoreSettings WITHOUT_ENDPOINT = new StoreSettings("duet_test", "fenced_without_endpoint",
            Duration.ofSeconds(30), 50);
    private static final byte[] NOTE = Bytes.toBytes("note");
    private static AsyncConnection connection;

    @BeforeAll
    static void createTables() throws Exception {
        connection = ConnectionFactory.createAsyncConnection(SharedHBase.get().clientConfiguration())
                .get(1, TimeUnit.MINUTES);
        HBaseChatStore.open(SharedHBase.get().clientConfiguration(), WITH_ENDPOINT, new SimpleMeterRegistry())
                .get(2, TimeUnit.MINUTES).close();
        TableDescriptor plain = TableDescriptorBuilder.newBuilder(HBaseChatStore.tableDescriptor(WITHOUT_ENDPOINT))
                .removeCoprocessor(FencedWrites.ENDPOINT).build();
        await(connection.getAdmin().createTable(plain));
    }

    @AfterAll
    static void closeConnection() throws Exception {
        connection.close();
    }

    private static <T> T await(CompletableFuture<T> future) throws Exception {
        return future.get(1, TimeUnit.MINUTES);
    }

    private static AsyncTable<?> table(StoreSettings settings) {
        return connection.getTable(HBaseChatStore.tableName(settings));
    }

    private static FencedWrites writes(StoreSettings settings, boolean endpoint, SimpleMeterRegistry registry) {
        TableName name = HBaseChatStore.tableName(settings);
        return new FencedWrites(table(settings), connection.getRegionLocator(name), endpoint, registry);
    }

    /** Rows whose fence cell holds "fence-0", "fence-1", …; the guarded writes expect those, but where told not to. */
    private static List<FencedWrites.Guarded> rows(StoreSettings settings, int count, int movedFence)
            throws Exception {
        List<FencedWrites.Guarded> guarded = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            byte[] row = CoupleRow.key("couple-" + UUID.randomUUID());
            byte[] fence = Bytes.toBytes("fence-" + i);
            await(table(settings).put(new Put(row).addColumn(CoupleRow.STATE, CoupleRow.FENCE, fence)));
            byte[] expected = i == movedFence ? Bytes.toBytes("an older fence") : fence;
            guarded.add(new FencedWrites.Guarded(row, expected, new Put(row)
                    .addColumn(CoupleRow.STATE, CoupleRow.FENCE, Bytes.toBytes("written-" + i))
                    .addColumn(CoupleRow.STATE, NOTE, Bytes.toBytes("note-" + i))));
        }
        return guarded;
    }

    private static List<Boolean> outcomes(List<CompletableFuture<Boolean>> results) throws Exception {
        List<Boolean> outcomes = new ArrayList<>();
        for (CompletableFuture<Boolean> result : results) {
            outcomes.add(await(result));
        }
        return outcomes;
    }

    private static void assertWritten(StoreSettings settings, List<FencedWrites.Guarded> rows, List<Boolean> written)
            throws Exception {
        for (int i = 0; i < rows.size(); i++) {
            byte[] note = await(table(settings).get(new Get(rows.get(i).row()).addColumn(CoupleRow.STATE, NOTE)))
                    .getValue(CoupleRow.STATE, NOTE);
            if (written.get(i)) {
                assertArrayEquals(Bytes.toBytes("note-" + i), note, "row " + i);
            } else {
                assertNull(note, "row " + i + " had another fence and must be left alone");
            }
        }
    }

    @Test
    void theWritesOfOneRegionGoInOneCall() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        List<FencedWrites.Guarded> rows = rows(WITH_ENDPOINT, 5, -1);
        List<Boolean> outcomes = outcomes(writes(WITH_ENDPOINT, true, registry).write(rows));
        assertEquals(List.of(true, true, true, true, true), outcomes);
        assertWritten(WITH_ENDPOINT, rows, outcomes);
        assertEquals(1, registry.counter("duet.chat.append.region.batches").count());
        assertEquals(0, registry.counter("duet.chat.append.region.batch.fallbacks").count());
    }

    @Test
    void oneMovedFenceInARegionWritesTheOthersOneByOneAndNotThatOne() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        List<FencedWrites.Guarded> rows = rows(WITH_ENDPOINT, 5, 2);
        List<Boolean> outcomes = outcomes(writes(WITH_ENDPOINT, true, registry).write(rows));
        assertEquals(List.of(true, true, false, true, true), outcomes);
        assertWritten(WITH_ENDPOINT, rows, outcomes);
        assertEquals(1, registry.counter("duet.chat.append.region.batch.fallbacks").count(),
                "the region's call applied nothing, then each row was tried on its own");
    }

    @Test
    void aTableWithoutTheEndpointStillTakesEveryWriteOnItsOwn() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        List<FencedWrites.Guarded> rows = rows(WITHOUT_ENDPOINT, 4, 1);
        List<Boolean> outcomes = outcomes(writes(WITHOUT_ENDPOINT, true, registry).write(rows));
        assertEquals(List.of(true, false, true, true), outcomes);
        assertWritten(WITHOUT_ENDPOINT, rows, outcomes);
        assertEquals(1, registry.counter("duet.chat.append.region.batch.fallbacks").count());
    }

    @Test
    void aStoreOnATableWithoutTheEndpointAppendsOneGuardedWriteAtATime() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (HBaseChatStore store = HBaseChatStore.open(SharedHBase.get().clientConfiguration(), WITHOUT_ENDPOINT,
                registry).get(2, TimeUnit.MINUTES)) {
            OwnerClaim owner = new OwnerClaim(3, 10, 0, "chat-a");
            List<CompletableFuture<List<AppendResult>>> appends = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                String couple = "couple-" + UUID.randomUUID();
                await(store.claim(couple, owner, false));
                appends.add(store.append(couple, owner, List.of(new AppendRequest("ann", "a-1", "hello " + i))));
            }
            for (CompletableFuture<List<AppendResult>> append : appends) {
                AppendResult result = await(append).get(0);
                assertEquals(1, result.message().getSeq());
                assertFalse(result.duplicate());
            }
            assertEquals(0, registry.counter("duet.chat.append.region.batches").count());
        }
    }
}
