package dev.duet.chat.store;

import dev.duet.chat.testing.SharedHBase;
import dev.duet.thrift.chat.Message;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.hadoop.hbase.TableName;
import org.apache.hadoop.hbase.client.AsyncConnection;
import org.apache.hadoop.hbase.client.AsyncTable;
import org.apache.hadoop.hbase.client.ConnectionFactory;
import org.apache.hadoop.hbase.client.Get;
import org.apache.hadoop.hbase.client.Put;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HBaseChatStoreTest {
    private static final StoreSettings SETTINGS = new StoreSettings("duet_test", "store_test", Duration.ofSeconds(30),
            50);
    private static final OwnerClaim A = new OwnerClaim(7, 100, 0, "chat-a");
    private static final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private static final SimpleMeterRegistry rivalRegistry = new SimpleMeterRegistry();
    private static HBaseChatStore store;
    private static HBaseChatStore rival;

    @BeforeAll
    static void openStores() throws Exception {
        store = HBaseChatStore.open(SharedHBase.get().clientConfiguration(), SETTINGS, registry)
                .get(2, TimeUnit.MINUTES);
        rival = HBaseChatStore.open(SharedHBase.get().clientConfiguration(), SETTINGS, rivalRegistry)
                .get(2, TimeUnit.MINUTES);
    }

    @AfterAll
    static void closeStores() throws Exception {
        store.close();
        rival.close();
    }

    private static String couple() {
        return "couple-" + UUID.randomUUID();
    }

    /** A couple claimed by {@link #A}. */
    private static String claimedCouple() throws Exception {
        String couple = couple();
        await(store.claim(couple, A, false));
        return couple;
    }

    private static <T> T await(CompletableFuture<T> future) throws Exception {
        return future.get(1, TimeUnit.MINUTES);
    }

    private static Throwable failureOf(CompletableFuture<?> future) {
        return assertThrows(ExecutionException.class, () -> future.get(1, TimeUnit.MINUTES)).getCause();
    }

    private static List<AppendResult> append(String couple, AppendRequest... requests) throws Exception {
        return await(store.append(couple, A, List.of(requests)));
    }

    private static double readsSkipped() {
        return readsSkipped(registry);
    }

    private static double readsSkipped(SimpleMeterRegistry of) {
        return of.counter("duet.chat.append.reads.skipped").count();
    }

    private static <T> T withRawTable(RawTableUse<T> use) throws Exception {
        try (AsyncConnection raw = ConnectionFactory.createAsyncConnection(SharedHBase.get().clientConfiguration())
                .get(1, TimeUnit.MINUTES)) {
            return use.apply(raw.getTable(TableName.valueOf(SETTINGS.namespace(), SETTINGS.table())));
        }
    }

    private interface RawTableUse<T> {
        T apply(AsyncTable<?> table) throws Exception;
    }

    @Test
    void appendsGetConsecutiveSequenceNumbersAndReadBack() throws Exception {
        String couple = claimedCouple();
        List<AppendResult> first = append(couple,
                new AppendRequest("ann", "a-1", "hello"), new AppendRequest("ann", "a-2", "are you there?"));
        List<AppendResult> second = append(couple, new AppendRequest("bob", "b-1", "yes"));
        assertEquals(List.of(1L, 2L), first.stream().map(r -> r.message().getSeq()).toList());
        assertEquals(3, second.get(0).message().getSeq());
        assertFalse(second.get(0).duplicate());

        List<Message> all = await(store.range(couple, 1, 10));
        assertEquals(List.of("hello", "are you there?", "yes"), all.stream().map(Message::getBody).toList());
        assertEquals("bob", all.get(2).getSenderId());
        assertEquals(List.of(2L, 3L), await(store.range(couple, 2, 3)).stream().map(Message::getSeq).toList());
        assertEquals(3, await(store.state(couple, "ann", "bob")).lastSeq());
    }

    @Test
    void aRetriedClientMessageIdReturnsTheFirstSeqAndStoresOneCopy() throws Exception {
        String couple = claimedCouple();
        AppendResult original = append(couple, new AppendRequest("ann", "a-1", "once")).get(0);
        AppendResult retry = append(couple, new AppendRequest("ann", "a-1", "once")).get(0);
        List<AppendResult> sameBatch = append(couple,
                new AppendRequest("ann", "a-2", "twice?"), new AppendRequest("ann", "a-2", "twice?"));
        assertTrue(retry.duplicate());
        assertEquals(original.message().getSeq(), retry.message().getSeq());
        assertEquals(original.message().getTimestamp(), retry.message().getTimestamp());
        assertEquals("ann", retry.message().getSenderId());
        assertEquals("once", retry.message().getBody());
        assertEquals(2, sameBatch.get(0).message().getSeq());
        assertTrue(sameBatch.get(1).duplicate());
        assertEquals(2, sameBatch.get(1).message().getSeq());
        assertEquals(2, await(store.range(couple, 1, 100)).size());
    }

    @Test
    void clientMessageIdsAreUniquePerSenderNotPerCouple() throws Exception {
        String couple = claimedCouple();
        AppendResult ann = append(couple, new AppendRequest("ann", "1", "hi bob")).get(0);
        AppendResult bob = append(couple, new AppendRequest("bob", "1", "hi ann")).get(0);
        assertFalse(bob.duplicate(), "bob's message 1 is not ann's message 1");
        assertEquals(2, bob.message().getSeq());
        assertEquals("bob", bob.message().getSenderId());
        assertEquals(List.of("ann", "bob"), await(store.range(couple, 1, 10)).stream()
                .map(Message::getSenderId).toList());
        assertEquals(1, ann.message().getSeq());
    }

    @Test
    void aKnownClientMessageIdWithAnotherBodyIsAConflictAndStoresNothing() throws Exception {
        String couple = claimedCouple();
        append(couple, new AppendRequest("ann", "a-1", "the first text"));
        AppendResult reused = append(couple, new AppendRequest("ann", "a-1", "another text")).get(0);
        List<AppendResult> inOneBatch = append(couple,
                new AppendRequest("ann", "a-2", "two"), new AppendRequest("ann", "a-2", "not two"));
        assertTrue(reused.conflict());
        assertNull(reused.message());
        assertFalse(inOneBatch.get(0).conflict());
        assertTrue(inOneBatch.get(1).conflict());
        assertEquals(List.of("the first text", "two"), await(store.range(couple, 1, 10)).stream()
                .map(Message::getBody).toList());
    }

    @Test
    void anAppendWithoutTheCouplesClaimFailsAndStoresNothing() throws Exception {
        String unclaimed = couple();
        assertInstanceOf(OwnershipLostException.class,
                failureOf(store.append(unclaimed, A, List.of(new AppendRequest("ann", "a-1", "hi")))));
        String couple = claimedCouple();
        OwnerClaim other = new OwnerClaim(A.incarnation(), A.ringEpoch(), 0, "chat-b");
        assertInstanceOf(OwnershipLostException.class,
                failureOf(store.append(couple, other, List.of(new AppendRequest("ann", "a-1", "hi")))));
        assertEquals(0, await(store.range(couple, 1, 10)).size());
        assertEquals(0, await(store.lastSeq(unclaimed)));
    }

    @Test
    void aClaimTakesOverOnlyFromAnOlderViewOrAnotherIncarnation() throws Exception {
        String couple = claimedCouple();
        append(couple, new AppendRequest("ann", "a-1", "before the move"));
        OwnerClaim sameView = new OwnerClaim(A.incarnation(), A.ringEpoch(), 0, "chat-b");
        OwnershipLostException refused = (OwnershipLostException) failureOf(rival.claim(couple, sameView, false));
        assertEquals(A, refused.current());
        assertInstanceOf(OwnershipLostException.class,
                failureOf(rival.claim(couple, new OwnerClaim(A.incarnation(), A.ringEpoch() - 1, 0, "chat-b"), true)));

        OwnerClaim newer = new OwnerClaim(A.incarnation(), A.ringEpoch() + 5, 0, "chat-b");
        Fence taken = await(rival.claim(couple, newer, false));
        assertEquals(newer, taken.claim());
        assertEquals(1, taken.lastSeq(), "the new owner continues from the couple's last seq");
        assertInstanceOf(OwnershipLostException.class, failureOf(store.claim(couple, A, true)),
                "the old owner cannot take the couple back with its old view");

        OwnerClaim wiped = new OwnerClaim(A.incarnation() + 1, 3, 0, "chat-a");
        assertEquals(wiped, await(store.claim(couple, wiped, false)).claim(),
                "after ZooKeeper was rebuilt (a new incarnation), a claim with a small epoch takes over");
    }

    @Test
    void withinOneViewASessionStartTakesTheCoupleOverOneGenerationUp() throws Exception {
        String couple = claimedCouple();
        OwnerClaim successor = new OwnerClaim(A.incarnation(), A.ringEpoch(), 0, "chat-b");
        assertInstanceOf(OwnershipLostException.class, failureOf(rival.claim(couple, successor, false)),
                "an append never takes a couple over");
        Fence takenOver = await(rival.claim(couple, successor, true));
        assertEquals(1, takenOver.claim().generation());
        assertInstanceOf(OwnershipLostException.class,
                failureOf(store.append(couple, A, List.of(new AppendRequest("ann", "a-1", "fenced out")))));
        assertEquals(1, await(rival.append(couple, takenOver.claim(),
                List.of(new AppendRequest("bob", "b-1", "from the successor")))).get(0).message().getSeq());
        Fence back = await(store.claim(couple, A, true));
        assertEquals(2, back.claim().generation(), "the owner, routed to again, takes it back");
        assertEquals(1, back.lastSeq());
    }

    @Test
    void aStaleOwnerAcknowledgesNothingOnceTheCoupleIsClaimedAway() throws Exception {
        String couple = claimedCouple();
        OwnerClaim newer = new OwnerClaim(A.incarnation(), A.ringEpoch() + 1, 0, "chat-b");
        List<CompletableFuture<List<AppendResult>>> stale = new ArrayList<>();
        List<CompletableFuture<List<AppendResult>>> fresh = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            stale.add(store.append(couple, A, List.of(new AppendRequest("ann", "a-" + i, "stale " + i))));
            if (i == 20) {
                await(rival.claim(couple, newer, false));
            }
            if (i >= 20) {
                fresh.add(rival.append(couple, newer, List.of(new AppendRequest("bob", "b-" + i, "fresh " + i))));
            }
        }
        Set<Long> acknowledged = new HashSet<>();
        int staleAcks = 0;
        for (CompletableFuture<List<AppendResult>> append : stale) {
            try {
                assertTrue(acknowledged.add(await(append).get(0).message().getSeq()), "a seq given twice");
                staleAcks++;
            } catch (ExecutionException e) {
                assertInstanceOf(OwnershipLostException.class, e.getCause());
            }
        }
        for (CompletableFuture<List<AppendResult>> append : fresh) {
            assertTrue(acknowledged.add(await(append).get(0).message().getSeq()), "a seq given twice");
        }
        List<Message> stored = await(store.range(couple, 1, 1000));
        assertEquals(acknowledged.size(), stored.size(), "every stored message was acknowledged exactly once");
        for (int i = 0; i < stored.size(); i++) {
            assertEquals(i + 1, stored.get(i).getSeq(), "sequence numbers are dense");
        }
        assertEquals(staleAcks, stored.stream().filter(m -> m.getSenderId().equals("ann")).count());
        assertTrue(staleAcks <= 21, "no append of the stale owner passed after the claim");
        assertInstanceOf(OwnershipLostException.class,
                failureOf(store.append(couple, A, List.of(new AppendRequest("ann", "late", "too late")))));
    }

    @Test
    void increasingIdsAreWrittenWithoutAReadAndRetriesAreStillCaught() throws Exception {
        String couple = claimedCouple();
        double before = readsSkipped();
        assertEquals(1, append(couple, new AppendRequest("ann", "a-001", "first")).get(0).message().getSeq());
        assertEquals(before, readsSkipped(), "the first append reads the row");
        assertEquals(2, append(couple, new AppendRequest("ann", "a-002", "second")).get(0).message().getSeq());
        assertEquals(3, append(couple, new AppendRequest("bob", "b-001", "a new sender"),
                new AppendRequest("ann", "a-003", "third")).get(0).message().getSeq());
        assertEquals(before + 2, readsSkipped(), "ids above the latest ones need no read");

        AppendResult retry = append(couple, new AppendRequest("ann", "a-002", "second")).get(0);
        assertTrue(retry.duplicate(), "an id at or below the latest one is checked against the row");
        assertEquals(2, retry.message().getSeq());
        assertTrue(append(couple, new AppendRequest("bob", "b-001", "another body")).get(0).conflict());
        assertEquals(before + 2, readsSkipped());
        assertEquals(5, append(couple, new AppendRequest("ann", "a-004", "fourth")).get(0).message().getSeq());
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L),
                await(store.range(couple, 1, 100)).stream().map(Message::getSeq).toList());
    }

    /**
     * Appends of many couples sent without waiting, several per couple, so that most wait for a later round: every
     * couple's messages are numbered in the order they were sent, each once, and a retry among them is answered with
     * its first number.
     */
    @Test
    void appendsSentAllAtOnceKeepEachCouplesOrder() throws Exception {
        int messages = 5;
        List<String> couples = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            couples.add(claimedCouple());
        }
        List<List<CompletableFuture<List<AppendResult>>>> sent = new ArrayList<>();
        for (String couple : couples) {
            List<CompletableFuture<List<AppendResult>>> ofCouple = new ArrayList<>();
            for (int m = 1; m <= messages; m++) {
                ofCouple.add(store.append(couple, A,
                        List.of(new AppendRequest("ann", String.format("a-%03d", m), "message " + m))));
            }
            ofCouple.add(store.append(couple, A, List.of(new AppendRequest("ann", "a-002", "message 2"))));
            sent.add(ofCouple);
        }
        for (int c = 0; c < couples.size(); c++) {
            List<CompletableFuture<List<AppendResult>>> ofCouple = sent.get(c);
            for (int m = 1; m <= messages; m++) {
                AppendResult result = await(ofCouple.get(m - 1)).get(0);
                assertFalse(result.duplicate());
                assertEquals(m, result.message().getSeq(), "the order the couple's messages were sent in");
            }
            AppendResult retry = await(ofCouple.get(messages)).get(0);
            assertTrue(retry.duplicate());
            assertEquals(2, retry.message().getSeq());
            List<Message> stored = await(store.range(couples.get(c), 1, 100));
            assertEquals(List.of("message 1", "message 2", "message 3", "message 4", "message 5"),
                    stored.stream().map(Message::getBody).toList());
        }
    }

    @Test
    void anOwnerThatKnowsItsRowAcknowledgesNothingOnceTheCoupleIsClaimedAway() throws Exception {
        String couple = claimedCouple();
        append(couple, new AppendRequest("ann", "a-001", "known"));
        append(couple, new AppendRequest("ann", "a-002", "known, written without a read"));
        OwnerClaim newer = new OwnerClaim(A.incarnation(), A.ringEpoch() + 1, 0, "chat-b");
        await(rival.claim(couple, newer, false));
        await(rival.append(couple, newer, List.of(new AppendRequest("bob", "b-001", "the new owner's"))));

        assertInstanceOf(OwnershipLostException.class,
                failureOf(store.append(couple, A, List.of(new AppendRequest("ann", "a-003", "stale")))));
        assertEquals(List.of("known", "known, written without a read", "the new owner's"),
                await(store.range(couple, 1, 100)).stream().map(Message::getBody).toList());
    }

    /** A row as the first fence layout left it: one message of ann's, a fence with no ids, {@code legacyIds} or none. */
    private static String rowOfTheFirstLayout(byte[] legacyIds) throws Exception {
        String couple = couple();
        byte[] row = CoupleRow.key(couple);
        Message message = new Message(1, "ann", "a-1", 1_000, "stored before ids were in the fence");
        Put put = new Put(row).addColumn(CoupleRow.MESSAGES, CoupleRow.seq(1), HBaseChatStore.encode(message))
                .addColumn(CoupleRow.IDEMPOTENCY, CoupleRow.idempotencyKey("ann", "a-1"),
                        CoupleRow.idempotencyValue(1, 1_000, message.getBody()))
                .addColumn(CoupleRow.STATE, CoupleRow.FENCE, FenceTest.firstLayout(A, 1));
        if (legacyIds != null) {
            put.addColumn(CoupleRow.STATE, CoupleRow.LATEST_IDS, legacyIds);
        }
        withRawTable(table -> await(table.put(put)));
        return couple;
    }

    private static Fence storedFence(String couple) throws Exception {
        return withRawTable(table -> Fence.of(await(table.get(Fence.addTo(new Get(CoupleRow.key(couple)))))));
    }

    @Test
    void aRowWithMessagesButNoLatestIdsIsAlwaysReadFirst() throws Exception {
        String couple = rowOfTheFirstLayout(null);
        double before = readsSkipped(rivalRegistry);
        AppendResult retry = await(rival.append(couple, A, List.of(new AppendRequest("ann", "a-1",
                "stored before ids were in the fence")))).get(0);
        assertTrue(retry.duplicate());
        assertEquals(2, await(rival.append(couple, A, List.of(new AppendRequest("ann", "a-2", "next"))))
                .get(0).message().getSeq());
        assertTrue(await(rival.append(couple, A, List.of(new AppendRequest("ann", "a-1", "reused")))).get(0)
                .conflict(), "the old key is still found: the row was read");
        assertEquals(before, readsSkipped(rivalRegistry));
        Fence fence = storedFence(couple);
        assertEquals(2, fence.lastSeq());
        assertNull(fence.latest(), "latest ids are not made up for a row whose older keys they would not cover");
    }

    @Test
    void theFirstLayoutsLatestIdsCellIsCarriedIntoTheFence() throws Exception {
        String couple = rowOfTheFirstLayout(LatestClientIds.NONE.with("ann", "a-1").toBytes());
        assertTrue(await(rival.append(couple, A, List.of(new AppendRequest("ann", "a-1",
                "stored before ids were in the fence")))).get(0).duplicate());
        assertEquals(2, await(rival.append(couple, A, List.of(new AppendRequest("ann", "a-2", "read once"))))
                .get(0).message().getSeq());
        assertEquals(LatestClientIds.NONE.with("ann", "a-2"), storedFence(couple).latest());
        double before = readsSkipped(rivalRegistry);
        assertEquals(3, await(rival.append(couple, A, List.of(new AppendRequest("ann", "a-3", "no read"))))
                .get(0).message().getSeq());
        assertEquals(before + 1, readsSkipped(rivalRegistry), "the fence now holds the ids: no read");
    }

    @Test
    void anUnreadableRowFailsItsOwnAppendAndTheNextAppendsStillRun() throws Exception {
        String broken = couple();
        withRawTable(table -> await(table.put(
                new Put(CoupleRow.key(broken)).addColumn(CoupleRow.STATE, CoupleRow.FENCE, new byte[]{1, 2, 3}))));
        Throwable failure = failureOf(store.append(broken, A, List.of(new AppendRequest("ann", "a-1", "hi"))));
        assertInstanceOf(IllegalStateException.class, failure);
        String healthy = claimedCouple();
        assertEquals(1, append(healthy, new AppendRequest("ann", "a-1", "still works")).get(0).message().getSeq(),
                "a failed round does not wedge the pipeline");
    }

    @Test
    void readMarksOnlyMoveForwardAndNeverPastTheLastSeq() throws Exception {
        String couple = claimedCouple();
        for (int i = 0; i < 5; i++) {
            append(couple, new AppendRequest("bob", "b-" + i, "message " + i));
        }
        assertEquals(5, await(store.markRead(couple, "ann", 7)), "a mark beyond the last seq stops at it");
        assertEquals(5, await(store.markRead(couple, "ann", 1)), "a mark never moves back");
        assertEquals(2, await(store.markRead(couple, "bob", 2)));
        CoupleState state = await(store.state(couple, "ann", "bob"));
        assertEquals(5, state.userReadSeq());
        assertEquals(2, state.partnerReadSeq());
        assertEquals(5, state.lastSeq());
    }

    @Test
    void rowKeysSpreadCouplesButKeepEachInOneRow() {
        byte[] key = CoupleRow.key("couple-1");
        assertEquals(4 + "couple-1".length(), key.length);
        assertEquals("couple-1", new String(key, 4, key.length - 4, java.nio.charset.StandardCharsets.UTF_8));
        assertFalse(java.util.Arrays.equals(java.util.Arrays.copyOf(CoupleRow.key("couple-2"), 4),
                java.util.Arrays.copyOf(key, 4)));
    }
}
