package dev.duet.chat.store;

import dev.duet.chat.testing.SharedHBase;
import dev.duet.thrift.chat.Message;
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
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HBaseChatStoreTest {
    private static HBaseChatStore store;
    private static HBaseChatStore rival;

    @BeforeAll
    static void openStores() throws Exception {
        StoreSettings settings = new StoreSettings("duet_test", "store_test", Duration.ofSeconds(30), 50);
        store = HBaseChatStore.open(SharedHBase.get().clientConfiguration(), settings).get(2, TimeUnit.MINUTES);
        rival = HBaseChatStore.open(SharedHBase.get().clientConfiguration(), settings).get(2, TimeUnit.MINUTES);
    }

    @AfterAll
    static void closeStores() throws Exception {
        store.close();
        rival.close();
    }

    private static String couple() {
        return "couple-" + UUID.randomUUID();
    }

    private static <T> T await(CompletableFuture<T> future) throws Exception {
        return future.get(1, TimeUnit.MINUTES);
    }

    @Test
    void appendsGetConsecutiveSequenceNumbersAndReadBack() throws Exception {
        String couple = couple();
        List<AppendResult> first = await(store.append(couple, List.of(
                new AppendRequest("ann", "a-1", "hello"), new AppendRequest("ann", "a-2", "are you there?"))));
        List<AppendResult> second = await(store.append(couple, List.of(new AppendRequest("bob", "b-1", "yes"))));
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
        String couple = couple();
        AppendResult original = await(store.append(couple, List.of(new AppendRequest("ann", "a-1", "once")))).get(0);
        AppendResult retry = await(store.append(couple, List.of(new AppendRequest("ann", "a-1", "once")))).get(0);
        List<AppendResult> sameBatch = await(store.append(couple, List.of(
                new AppendRequest("ann", "a-2", "twice?"), new AppendRequest("ann", "a-2", "twice?"))));
        assertTrue(retry.duplicate());
        assertEquals(original.message().getSeq(), retry.message().getSeq());
        assertEquals(original.message().getTimestamp(), retry.message().getTimestamp());
        assertEquals(2, sameBatch.get(0).message().getSeq());
        assertTrue(sameBatch.get(1).duplicate());
        assertEquals(2, sameBatch.get(1).message().getSeq());
        assertEquals(2, await(store.range(couple, 1, 100)).size());
    }

    @Test
    void twoWritersForOneCoupleNeverShareASequenceNumber() throws Exception {
        String couple = couple();
        List<CompletableFuture<List<AppendResult>>> pending = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            pending.add(store.append(couple, List.of(new AppendRequest("ann", "a-" + i, "from store " + i))));
            pending.add(rival.append(couple, List.of(new AppendRequest("bob", "b-" + i, "from rival " + i))));
        }
        Set<Long> seqs = new HashSet<>();
        for (CompletableFuture<List<AppendResult>> future : pending) {
            assertTrue(seqs.add(await(future).get(0).message().getSeq()), "a sequence number was given twice");
        }
        List<Message> stored = await(store.range(couple, 1, 1000));
        assertEquals(80, stored.size());
        for (int i = 0; i < stored.size(); i++) {
            assertEquals(i + 1, stored.get(i).getSeq(), "sequence numbers are dense");
        }
        assertEquals(80, seqs.size());
    }

    @Test
    void readMarksAreStoredPerPerson() throws Exception {
        String couple = couple();
        await(store.markRead(couple, "ann", 7));
        await(store.markRead(couple, "bob", 3));
        CoupleState state = await(store.state(couple, "ann", "bob"));
        assertEquals(7, state.userReadSeq());
        assertEquals(3, state.partnerReadSeq());
        assertEquals(0, state.lastSeq());
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
